import NATSFaultTimeline
import Synchronization

/// The events of one scenario run, appended from every driver and server as they happen.
final class EventLog: Sendable {
    private let events = Mutex<[RecordedEvent]>([])

    func append(_ event: RecordedEvent) {
        events.withLock { $0.append(event) }
    }

    /// Everything recorded so far, in time order.
    func snapshot() -> [RecordedEvent] {
        events.withLock { $0 }.sorted { $0.monoNs < $1.monoNs }
    }

    var count: Int { events.withLock { $0.count } }
}

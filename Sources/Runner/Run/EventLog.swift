import NATSFaultTimeline
import Synchronization

/// The events of one scenario run, appended from every driver and server as they happen.
///
/// Lifecycle events (everything but message traffic) are also kept apart: expectations are judged
/// against them many times a second, and a run may record hundreds of thousands of messages.
final class EventLog: Sendable {
    private struct Store {
        var all: [RecordedEvent] = []
        var lifecycle: [RecordedEvent] = []
    }

    private let store = Mutex(Store())

    func append(_ event: RecordedEvent) {
        store.withLock {
            $0.all.append(event)
            if !event.isTraffic { $0.lifecycle.append(event) }
        }
    }

    /// Everything recorded so far, in time order.
    func snapshot() -> [RecordedEvent] {
        store.withLock { $0.all }.sorted { $0.monoNs < $1.monoNs }
    }

    /// Everything but message traffic, in time order: what expectations are judged on.
    func lifecycleSnapshot() -> [RecordedEvent] {
        store.withLock { $0.lifecycle }.sorted { $0.monoNs < $1.monoNs }
    }

    var count: Int { store.withLock { $0.all.count } }
}

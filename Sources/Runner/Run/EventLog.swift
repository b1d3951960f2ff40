import NATSFaultTimeline
import NATSFaultProcess
import Synchronization

/// The events of one scenario run, appended from every driver and server as they happen.
///
/// Lifecycle events (everything but message traffic) are also kept apart: expectations are judged
/// against them many times a second, and a run may record hundreds of thousands of messages. Traffic
/// of the kinds given as `watched` (JetStream acknowledgements and deliveries, which expectations may
/// name) is kept with them.
final class EventLog: Sendable {
    private struct Store {
        var all: [RecordedEvent] = []
        var lifecycle: [RecordedEvent] = []
        /// Whether `lifecycle` is in time order (events from different processes may arrive out of it).
        var lifecycleInOrder = true
        var wireErrors = WireErrors()
    }

    private let store = Mutex(Store())
    private let watched: Set<EventName>

    init(watched: Set<EventName> = []) { self.watched = watched }
    /// Set by the first `output_limit` event: a driver or program natsfault had to stop, which ends the run.
    let stopped = OneShot<String>()

    /// Records an event; a client event that follows a server's `-ERR` on its link gets its text as `wire_error`.
    func append(_ event: RecordedEvent) {
        var event = event
        store.withLock {
            $0.wireErrors.annotate(&event)
            $0.all.append(event)
            if !event.isTraffic || watched.contains(event.event) {
                if let last = $0.lifecycle.last, event.monoNs < last.monoNs { $0.lifecycleInOrder = false }
                $0.lifecycle.append(event)
            }
        }
        if event.event == .outputLimit { stopped.fulfil(event.text ?? "a driver broke its output limits") }
    }

    /// Everything recorded so far, in time order.
    func snapshot() -> [RecordedEvent] {
        store.withLock { $0.all }.sorted { $0.monoNs < $1.monoNs }
    }

    /// Everything but message traffic (and the watched traffic), in time order: what expectations are judged on.
    /// Sorted in place only when an event came out of order, so that a poll every millisecond costs no copy.
    func lifecycleSnapshot() -> [RecordedEvent] {
        store.withLock {
            if !$0.lifecycleInOrder {
                $0.lifecycle.sort { $0.monoNs < $1.monoNs }
                $0.lifecycleInOrder = true
            }
            return $0.lifecycle
        }
    }

    var count: Int { store.withLock { $0.all.count } }
}

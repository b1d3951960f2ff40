import NATSFaultTimeline
import NATSFaultProcess
import Synchronization

/// The events of one scenario run, appended from every driver and server as they happen.
///
/// Lifecycle events (everything but message traffic) are also kept apart: expectations are judged
/// against them many times a second, and a run may record hundreds of thousands of messages.
final class EventLog: Sendable {
    private struct Store {
        var all: [RecordedEvent] = []
        var lifecycle: [RecordedEvent] = []
        var wireErrors = WireErrors()
    }

    private let store = Mutex(Store())
    /// Set by the first `output_limit` event: a driver or program natsfault had to stop, which ends the run.
    let stopped = OneShot<String>()

    /// Records an event; a client event that follows a server's `-ERR` on its link gets its text as `wire_error`.
    func append(_ event: RecordedEvent) {
        var event = event
        store.withLock {
            $0.wireErrors.annotate(&event)
            $0.all.append(event)
            if !event.isTraffic { $0.lifecycle.append(event) }
        }
        if event.event == .outputLimit { stopped.fulfil(event.text ?? "a driver broke its output limits") }
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

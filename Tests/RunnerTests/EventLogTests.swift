@testable import NATSFaultRunner
import NATSFaultTimeline
import Testing

/// The run's event log: what expectations are judged on, in time order, whatever order the drivers' lines arrive in.
struct EventLogTests {
    private func event(_ ns: Int64, _ name: EventName, client: String = "app") -> RecordedEvent {
        RecordedEvent(monoNs: ns, client: client, event: name)
    }

    @Test func lifecycleEventsComeInTimeOrderAndTrafficStaysOut() {
        let log = EventLog()
        for e in [event(30, .connected), event(10, .disconnected), event(20, .message), event(25, .jsAck), event(15, .reconnected)] { log.append(e) }
        #expect(log.lifecycleSnapshot().map(\.monoNs) == [10, 15, 30])
        log.append(event(5, .closed))
        #expect(log.lifecycleSnapshot().map(\.monoNs) == [5, 10, 15, 30])
        #expect(log.snapshot().map(\.monoNs) == [5, 10, 15, 20, 25, 30])
    }

    /// A JetStream run watches acknowledgements and deliveries beside the lifecycle events (expectations may name them);
    /// plain message traffic stays out.
    @Test func watchedTrafficJoinsTheLifecycleEvents() {
        let log = EventLog(watched: [.jsAck, .jsMessage])
        for e in [event(30, .jsAck), event(10, .connected), event(20, .message), event(25, .jsMessage), event(12, .jsPublishFailed)] { log.append(e) }
        #expect(log.lifecycleSnapshot().map(\.event) == [.connected, .jsMessage, .jsAck])
    }
}

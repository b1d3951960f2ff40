import NATSFaultDrivers
import NATSFaultScenario
import Testing

/// A scenario's expected duration, from its declared timeline: what shards are balanced by without measured times.
struct ExpectedDurationTests {
    static func scenario(_ timeline: String, clients: String = "[{name: app, subscribe: [orders]}]") throws -> Scenario {
        try ScenarioParser.parse("""
            name: timed
            servers: [{name: a}]
            clients: \(clients)
            timeline:
            \(timeline)
            """, file: "timed.yaml", shippedDrivers: DriverCatalog.shipped.map(\.name))
    }

    static func seconds(_ scenario: Scenario) -> Double { Double(scenario.expectedDuration.nanoseconds) / 1e9 }

    @Test func waitsARestartsDownTimeAndWindowsThatMustBeWaitedOutAddUp() throws {
        let s = try Self.scenario("""
              - wait: 2s
              - restart: {server: a, down: 500ms}
              - expect: {client: app, event: reconnected, count: 1, within: 1s}
              - expect_absent: {client: app, event: closed, for: 1500ms}
            """)
        #expect(Self.seconds(s) == 5)
    }

    /// One that passes at its first matching event is counted to its opening only: it may end there.
    @Test func anOpenEndedExpectationCountsToItsNotBefore() throws {
        let s = try Self.scenario("""
              - restart: {server: a, down: 1s}
              - expect: {client: app, event: reconnected, not_before: 300ms, within: 30s}
              - expect_server: {server: a, open: {client: app, count: 1}, within: 10s}
            """)
        #expect(Self.seconds(s) == 1.3)
    }

    @Test func anAtOffsetMovesTheClockOnlyForward() throws {
        let s = try Self.scenario("""
              - wait: 3s
              - at: 1s
                stop: a
              - at: 5s
                start: a
              - expect: {client: app, event: reconnected, count: 1, within: 2s}
            """)
        #expect(Self.seconds(s) == 7)
    }

    /// An expectation with `since` closes its window measured from that step, which may have begun long before.
    @Test func anExpectationSinceAnEarlierStepEndsFromThatStep() throws {
        let s = try Self.scenario("""
              - id: down
                stop: a
              - wait: 1s
              - expect: {client: app, event: disconnected, count: 1, since: down, within: 4s}
              - expect: {client: app, event: closed, count: 0, since: down, within: 2s}
            """)
        #expect(Self.seconds(s) == 4)
    }

    @Test func publishersRunToTheirLastMessageAtTheirRate() throws {
        let s = try Self.scenario("""
              - publish: {client: app, subject: orders, stream: s, count: 500, rate: 100}
              - expect_absent: {client: app, event: disconnected, for: 1s}
            """)
        #expect(Self.seconds(s) == 5)
        let started = try Self.scenario("  - expect_absent: {client: app, event: disconnected, for: 1s}", clients: "[{name: app, subscribe: [orders], publish: [{subject: orders, stream: s, count: 300, rate: 100}]}]")
        #expect(Self.seconds(started) == 3)
    }
}

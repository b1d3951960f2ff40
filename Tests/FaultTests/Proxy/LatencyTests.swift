@testable import NATSFaultScenario
import Testing

struct LatencyTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: latency, latency: 100ms, jitter: 10ms, seed: 7, direction: to_server}")
        let (up, down) = shapes(fault)
        #expect(up.latency == .milliseconds(100) && up.jitter == .milliseconds(10) && up.seed == 7)
        #expect(down.latency == nil)
    }

    /// Without a `seed`, the jitter is drawn from the run's seed for the step, so that a replay draws the same delays.
    @Test func withoutASeedTheRunsSeedDrivesTheJitter() async throws {
        let context = RecordingContext()
        let fault = try fault("proxy: {fault: latency, latency: 10ms, jitter: 5ms}")
        #expect(shapes(fault).toClient.seed == 0, "not seeded until applied")
        try await fault.apply(in: context, step: 4)
        let applied = try #require(context.linkFaults.first)
        #expect(FlowShape(faults: [applied], flow: .toClient).seed == 1004)
    }

    @Test func derivedSeedsDependOnEveryPart() {
        #expect(Seeds.derive(7, "a", "b") == Seeds.derive(7, "a", "b"))
        #expect(Seeds.derive(7, "a", "b") != Seeds.derive(8, "a", "b"))
        #expect(Seeds.derive(7, "a", "b") != Seeds.derive(7, "ab"))
        #expect(Seeds.derive(7, "a", "b") != Seeds.derive(7, "b", "a"))
    }
}

@testable import NATSFaultScenario
import Testing

struct LatencyTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: latency, latency: 100ms, jitter: 10ms, seed: 7, direction: to_server}")
        let (up, down) = shapes(fault)
        #expect(up.latency == .milliseconds(100) && up.jitter == .milliseconds(10) && up.seed == 7)
        #expect(down.latency == nil)
    }
}

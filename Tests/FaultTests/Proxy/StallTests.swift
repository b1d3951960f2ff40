@testable import NATSFaultScenario
import Testing

struct StallTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: stall, direction: to_client}")
        #expect(!shapes(fault).toServer.stalled && shapes(fault).toClient.stalled)
    }

    @Test func needsADirection() {
        #expect(error("proxy: {fault: stall}")?.contains("a stall fault needs \"direction\"") == true)
    }
}

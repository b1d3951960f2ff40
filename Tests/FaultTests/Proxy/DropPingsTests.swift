@testable import NATSFaultScenario
import Testing

struct DropPingsTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: drop_pings, direction: to_server}")
        #expect(shapes(fault).toServer.dropPings && !shapes(fault).toClient.dropPings)
    }
}

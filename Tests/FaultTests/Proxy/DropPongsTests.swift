@testable import NATSFaultScenario
import Testing

struct DropPongsTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: drop_pongs}")
        #expect(shapes(fault).toServer.dropPongs && shapes(fault).toClient.dropPongs)
    }
}

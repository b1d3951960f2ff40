@testable import NATSFaultScenario
import Testing

struct DelayPongsTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: delay_pongs, delay: 300ms, direction: to_client}")
        #expect(shapes(fault).toClient.pongDelay == .milliseconds(300) && shapes(fault).toServer.pongDelay == nil)
    }
}

@testable import NATSFaultScenario
import Testing

struct LimitBytesTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: limit_bytes, bytes: 10, direction: to_client}")
        #expect(shapes(fault).toClient.limitBytes == 10 && shapes(fault).toServer.limitBytes == nil)
    }
}

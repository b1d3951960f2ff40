@testable import NATSFaultScenario
import Testing

struct InjectErrorTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: inject_err, client: svc, message: Authorization Violation}")
        #expect((fault as? any LinkFault)?.strike == .sendToClient("-ERR 'Authorization Violation'\r\n"))
        #expect(fault.description == "proxy inject_err to_client on svc → every server")
    }
}

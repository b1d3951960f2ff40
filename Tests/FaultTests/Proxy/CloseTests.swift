@testable import NATSFaultScenario
import Testing

struct CloseTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: close, server: a}")
        #expect(fault.lasting == .once && (fault as? any LinkFault)?.strike == .close(reset: false))
        #expect(fault.subject == FaultSubject(server: "a"))
    }
}

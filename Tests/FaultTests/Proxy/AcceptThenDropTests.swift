@testable import NATSFaultScenario
import Testing

struct AcceptThenDropTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: accept_then_drop}")
        var listener = ListenerShape()
        (fault as! any LinkFault).shape(&listener)
        #expect(listener.dropsNewConnections && !listener.refuses)
    }
}

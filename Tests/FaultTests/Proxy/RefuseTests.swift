@testable import NATSFaultScenario
import Testing

struct RefuseTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: refuse, server: a}")
        var listener = ListenerShape()
        (fault as! any LinkFault).shape(&listener)
        #expect(listener.refuses && !listener.dropsNewConnections)
        #expect(shapes(fault).toServer == FlowShape())
    }
}

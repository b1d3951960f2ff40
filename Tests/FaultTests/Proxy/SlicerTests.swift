@testable import NATSFaultScenario
import Testing

struct SlicerTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: slicer, bytes: 4, direction: to_client}")
        #expect(shapes(fault).toClient.slice == FlowShape.Slice(bytes: 4, delay: .milliseconds(1)))
        #expect(shapes(fault).toServer.slice == nil)
    }
}

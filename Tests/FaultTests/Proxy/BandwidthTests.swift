@testable import NATSFaultScenario
import Testing

struct BandwidthTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: bandwidth, bytes_per_s: 1000}")
        #expect(shapes(fault).toClient.bytesPerSecond == 1000 && shapes(fault).toServer.bytesPerSecond == 1000)
    }

    @Test func theLowestRateWins() throws {
        let faults = [try fault("proxy: {fault: bandwidth, bytes_per_s: 1000}"), try fault("proxy: {fault: bandwidth, bytes_per_s: 500}")].map { $0 as! any LinkFault }
        #expect(FlowShape(faults: faults, flow: .toClient).bytesPerSecond == 500)
    }
}

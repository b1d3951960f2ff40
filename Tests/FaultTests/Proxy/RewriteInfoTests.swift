@testable import NATSFaultScenario
import Testing

struct RewriteInfoTests {
    @Test func shapesTheINFOTowardsTheClient() async throws {
        let fault = try fault("proxy: {fault: rewrite_info, client: app, max_payload: 10MB, for: 5s}")
        #expect(shapes(fault).toClient.infoFields == ["max_payload": 10_485_760])
        #expect(shapes(fault).toServer == FlowShape())
        #expect(fault.description == "proxy rewrite_info max_payload 10485760 on app → every server for 5s")
        #expect(try await effects(of: fault, healing: true) == ["link rewrite_info step 3 app → *", "unlink step 3"])
    }

    @Test func readsSizesInBytesKBAndMB() throws {
        for (text, bytes) in [("2048", 2048), ("512KB", 524_288), ("1MB", 1_048_576)] {
            #expect(shapes(try fault("proxy: {fault: rewrite_info, max_payload: \(text)}")).toClient.infoFields["max_payload"] == bytes)
        }
    }

    @Test func refusesBadValues() {
        #expect(error("proxy: {fault: rewrite_info, client: app}") == "9:12: timeline[0].proxy: a rewrite_info fault needs \"max_payload\"")
        #expect(error("proxy: {fault: rewrite_info, max_payload: 10mb}")
            == "9:47: timeline[0].proxy.max_payload: expected a size in bytes, found \"10mb\"; a whole number, or one with KB or MB, e.g. 1048576, 512KB, 10MB")
        #expect(error("proxy: {fault: rewrite_info, max_payload: 0}") == "9:47: timeline[0].proxy.max_payload: 0 is out of range; allowed: 1 to 2147483647 bytes")
        #expect(error("proxy: {fault: rewrite_info, max_payload: 4096MB}")
            == "9:47: timeline[0].proxy.max_payload: 4096MB is out of range; allowed: 1 to 2147483647 bytes")
        #expect(error("proxy: {fault: rewrite_info, client: direct, max_payload: 1MB}")?.contains("connects directly") == true)
        #expect(error("proxy: {fault: rewrite_info, max_payload: 1MB, direction: to_server}")?.contains("unknown key \"direction\" in a rewrite_info fault") == true)
    }
}

@testable import NATSFaultScenario
import Testing

struct BlackholeTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: blackhole, client: app, server: b, for: 2s}")
        #expect(fault.lasting == .untilHealed(for: .seconds(2)))
        #expect(shapes(fault).toServer.blackhole && shapes(fault).toClient.blackhole)
        #expect(try await effects(of: fault, healing: true) == ["link blackhole step 3 app → b", "unlink step 3"])
    }

    @Test func aDirectClientCannotBeTargeted() {
        #expect(error("proxy: {fault: blackhole, client: direct}")?.contains("client \"direct\" connects directly") == true)
        #expect(error("proxy: {fault: blackhole, client: svc, server: b}")?.contains("client \"svc\" does not connect to server \"b\"; allowed: a") == true)
    }
}

@testable import NATSFaultScenario
import Testing

struct ResetTests {
    @Test func shapesTheLinks() async throws {
        let fault = try fault("proxy: {fault: reset, client: app}")
        #expect(fault.lasting == .once && (fault as? any LinkFault)?.strike == .close(reset: true))
        #expect(try await effects(of: fault) == ["link reset step 3 app → *"])
    }

    @Test func happensOnceSoForIsAnError() {
        #expect(error("proxy: {fault: reset, for: 1s}")?.contains("a reset fault happens once; \"for\" applies only to faults that last") == true)
    }
}

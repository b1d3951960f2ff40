@testable import NATSFaultScenario
import Testing

struct StopTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("stop: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["stop a SIGTERM"])
        #expect(FaultCatalog.isHarmless("stop") == false)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("stop: z") == "9:11: timeline[0].stop: no server is named \"z\"; allowed: a, b")
    }
}

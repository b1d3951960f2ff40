@testable import NATSFaultScenario
import Testing

struct PauseTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("pause: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["signal a SIGSTOP"])
        #expect(FaultCatalog.isHarmless("pause") == false)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("pause: z") == "9:12: timeline[0].pause: no server is named \"z\"; allowed: a, b")
    }
}

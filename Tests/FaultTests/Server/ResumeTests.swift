@testable import NATSFaultScenario
import Testing

struct ResumeTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("resume: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["signal a SIGCONT"])
        #expect(FaultCatalog.isHarmless("resume") == true)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("resume: z") == "9:13: timeline[0].resume: no server is named \"z\"; allowed: a, b")
    }
}

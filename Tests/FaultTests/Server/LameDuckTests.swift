@testable import NATSFaultScenario
import Testing

struct LameDuckTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("lame_duck: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["signal a SIGUSR2"])
        #expect(FaultCatalog.isHarmless("lame_duck") == false)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("lame_duck: z") == "9:16: timeline[0].lame_duck: no server is named \"z\"; allowed: a, b")
    }
}

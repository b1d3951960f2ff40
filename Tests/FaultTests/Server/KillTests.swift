@testable import NATSFaultScenario
import Testing

struct KillTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("kill: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["stop a SIGKILL"])
        #expect(FaultCatalog.isHarmless("kill") == false)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("kill: z") == "9:11: timeline[0].kill: no server is named \"z\"; allowed: a, b")
    }
}

@testable import NATSFaultScenario
import Testing

struct StartTests {
    @Test func namesAServerAndActsOnIt() async throws {
        let fault = try fault("start: a")
        #expect(fault.subject == FaultSubject(server: "a") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["start a"])
        #expect(FaultCatalog.isHarmless("start") == true)
    }

    @Test func anUndeclaredServerIsAnError() {
        #expect(error("start: z") == "9:12: timeline[0].start: no server is named \"z\"; allowed: a, b")
    }
}

@testable import NATSFaultScenario
import Testing

struct KillClientTests {
    @Test func namesAClientAndActsOnItsProcess() async throws {
        let fault = try fault("kill_client: app")
        #expect(fault.subject == FaultSubject(client: "app") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["signal client app SIGKILL"])
        #expect(FaultCatalog.isHarmless("kill_client") == false)
    }

    @Test func anUndeclaredClientIsAnError() {
        #expect(error("kill_client: nobody")?.hasSuffix("no client is named \"nobody\"; allowed: app, svc, direct") == true)
    }
}

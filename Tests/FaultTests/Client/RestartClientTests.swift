@testable import NATSFaultScenario
import Testing

struct RestartClientTests {
    @Test func namesAClientAndActsOnItsProcess() async throws {
        let fault = try fault("restart_client: app")
        #expect(fault.subject == FaultSubject(client: "app") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["restart client app"])
        #expect(FaultCatalog.isHarmless("restart_client") == false)
    }

    @Test func anUndeclaredClientIsAnError() {
        #expect(error("restart_client: nobody")?.hasSuffix("no client is named \"nobody\"; allowed: app, svc, direct") == true)
    }
}

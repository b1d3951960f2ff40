@testable import NATSFaultScenario
import Testing

struct ResumeClientTests {
    @Test func namesAClientAndActsOnItsProcess() async throws {
        let fault = try fault("resume_client: app")
        #expect(fault.subject == FaultSubject(client: "app") && fault.lasting == .once)
        #expect(try await effects(of: fault) == ["signal client app SIGCONT"])
        #expect(FaultCatalog.isHarmless("resume_client") == true)
    }

    @Test func endsAPauseOfTheSameClientOnly() throws {
        let resume = try fault("resume_client: app")
        #expect(resume.ends(try fault("pause_client: app")))
        #expect(!resume.ends(try fault("pause_client: svc")))
        #expect(!resume.ends(try fault("pause: a")))
    }

    @Test func anUndeclaredClientIsAnError() {
        #expect(error("resume_client: nobody")?.hasSuffix("no client is named \"nobody\"; allowed: app, svc, direct") == true)
    }
}

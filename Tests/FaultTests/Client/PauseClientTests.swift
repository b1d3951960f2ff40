@testable import NATSFaultScenario
import Testing

struct PauseClientTests {
    @Test func freezesTheProcessUntilHealed() async throws {
        let fault = try fault("pause_client: app")
        #expect(fault.lasting == .untilHealed(for: nil) && fault.subject == FaultSubject(client: "app"))
        #expect(fault.description == "pause client app (SIGSTOP)")
        #expect(try await effects(of: fault, healing: true) == ["signal client app SIGSTOP", "signal client app SIGCONT"])
        #expect(!FaultCatalog.isHarmless("pause_client"), "a frozen client may lose messages: it begins an outage")
    }

    @Test func forHealsItByItself() throws {
        let fault = try fault("pause_client: {client: svc, for: 1500ms}")
        #expect(fault.lasting == .untilHealed(for: .milliseconds(1500)))
        #expect(fault.description == "pause client svc (SIGSTOP) for 1500ms")
    }

    @Test func aHealStepEndsItAndAResumeMakesTheHealMoot() throws {
        _ = try scenario(step: "{id: hang, pause_client: app}\n  - heal: hang")
        #expect(error("{id: hang, pause_client: app}\n  - resume_client: app\n  - heal: hang")?.contains("no lasting fault in effect has id \"hang\"") == true)
    }

    @Test func unknownKeysAndClientsAreErrors() {
        #expect(error("pause_client: {client: app, duration: 1s}")?.contains("unknown key \"duration\" in a client pause; allowed: client, for") == true)
        #expect(error("pause_client: nobody")?.hasSuffix("no client is named \"nobody\"; allowed: app, svc, direct") == true)
    }
}

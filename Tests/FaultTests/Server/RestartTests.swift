@testable import NATSFaultScenario
import Testing

struct RestartTests {
    @Test func stopsWaitsAndStartsAgain() async throws {
        let fault = try fault("restart: {server: b, down: 2s, kill: true}")
        #expect(fault.description == "restart server b (SIGKILL, down 2s)")
        #expect(try await effects(of: fault) == ["stop b SIGKILL", "wait 2s", "start b"])
    }

    @Test func aBareNameRestartsAtOnceWithSIGTERM() async throws {
        let fault = try fault("restart: a")
        #expect(try await effects(of: fault) == ["stop a SIGTERM", "start a"])
    }

    @Test func unknownKeysNameTheAllowedOnes() {
        #expect(error("restart: {server: a, dwon: 2s}")?.hasSuffix("unknown key \"dwon\" in a restart (did you mean \"down\"?); allowed: server, down, kill") == true)
    }
}

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
        #expect(error("restart: {server: a, dwon: 2s}")?.hasSuffix("unknown key \"dwon\" in a restart (did you mean \"down\"?); allowed: server, down, kill, version") == true)
    }

    /// An upgrade (or a downgrade): the server starts again on the version named, a prefix or the oldest or newest
    /// installed; anything else is refused where it is written.
    @Test func withAVersionItStartsAgainOnThatVersion() async throws {
        let upgrade = try fault("restart: {server: b, version: newest}")
        #expect(upgrade.description == "restart server b (SIGTERM, down 0s, on nats-server newest)")
        #expect(upgrade.serverVersion == "newest")
        #expect(try await effects(of: upgrade) == ["stop b SIGTERM", "start b on newest"])
        #expect(try await effects(of: try fault("restart: {server: b, version: \"2.12\"}")) == ["stop b SIGTERM", "start b on 2.12"])
        #expect(try fault("restart: b").serverVersion == nil)
        #expect(error("restart: {server: b, version: latest}")?.contains("\"latest\" is not a nats-server version; write a version prefix such as \"2.15\" or \"2.9.10\", or oldest, newest or next") == true)
    }
}

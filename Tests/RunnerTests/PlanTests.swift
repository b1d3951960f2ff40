import Foundation
import NATSFaultScenario
import NATSFaultSupervisor
@testable import NATSFaultRunner
import Testing

/// Which runs a suite plans: scenarios × clients × servers, the server-version skips, --filter and the choice of servers.
struct PlanTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let old = ServerBinary(path: "/usr/sbin/nats-server", version: "2.9.10")
    static let new = ServerBinary(path: "/usr/local/bin/nats-server", version: "2.15.1")
    /// Newest first, as `ServerBinary.discover()` returns them.
    static let installed = [new, old]

    static func scenario(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml, file: "inline.yaml")
    }

    /// The drivers are the real ones, built beside this test binary (c) and by scripts/setup (go, python).
    static func runs(_ scenarios: [Scenario], clients: [String], servers: [ServerBinary]) throws -> [Plan.Run] {
        try Plan.runs(scenarios, clients: clients, servers: servers, installed: installed, toolDirectory: ToolPaths.directory, root: "/work")
    }

    @Test func everyScenarioRunsWithEveryClientOnEveryServerInThatOrder() throws {
        let scenarios = try ScenarioLoader.load([Self.root.appendingPathComponent("scenarios").path])
        let runs = try Self.runs(scenarios, clients: ["c", "go", "python"], servers: Self.installed)
        // A scenario whose only client is an application runs once per server, labelled with the application.
        // One whose servers all pin their versions (rolling-upgrade) runs once per client, under the first server.
        let expected = scenarios.flatMap { s in
            let servers = s.servers.allSatisfy { $0.version != nil } ? Array(Self.installed.prefix(1)) : Self.installed
            return s.followsRunDriver ? ["c", "go", "python"].flatMap { c in servers.map { (s.name, c, $0.version) } } : servers.map { (s.name, s.fixedLabel, $0.version) }
        }
        #expect(runs.filter { $0.scenario.name == "rolling-upgrade" }.map { "\($0.target.label) \($0.target.server.version)" } == ["c 2.15.1", "go 2.15.1", "python 2.15.1"])
        #expect(scenarios.contains { !$0.followsRunDriver }, "app-server-restart runs an application only")
        #expect(runs.map { "\($0.scenario.name) \($0.target.label) \($0.target.server.version)" } == expected.map { "\($0.0) \($0.1) \($0.2)" })
        #expect(runs.filter { $0.scenario.name == "app-server-restart" }.map(\.target.label) == ["app:inventory", "app:inventory"])
        #expect(Set(runs.map(\.target.workDirectory)).count == runs.count, "every run works in a folder of its own")
        #expect(runs.allSatisfy { $0.target.workDirectory.hasPrefix("/work/") && $0.target.installedServers == Self.installed && $0.target.toolDirectory == ToolPaths.directory })
        // Every client's command is found once, here, and handed to the run: its driver, or its program.
        for run in runs {
            for client in run.scenario.clients {
                let command = try #require(run.target.commands[client.name], "\(run.scenario.name): \(client.name)")
                if client.isApplication {
                    #expect(command.executable.hasSuffix("/examples/inventory/inventory") && command.executable.hasPrefix("/"), "\(command)")
                } else {
                    #expect(command.executable.hasSuffix("natsfault-driver-\(client.driver ?? run.target.client)"), "\(run.scenario.name): \(command)")
                }
            }
        }
    }

    @Test func aScenarioForSomeLibrariesIsSkippedForTheOthersWithItsReason() throws {
        let scenario = try Self.scenario("""
            name: python-only
            only: {drivers: [python], reason: nats.py alone retries its first connect}
            servers: [{name: a}]
            clients: [{name: app}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let runs = try Self.runs([scenario], clients: ["c", "go", "python"], servers: [Self.new])
        #expect(runs.map(\.target.label) == ["c", "go", "python"])
        #expect(runs.map(\.skipReason) == ["runs only on python: nats.py alone retries its first connect",
                                            "runs only on python: nats.py alone retries its first connect", nil])
    }

    @Test func aScenarioWhoseClientsAllPinADriverRunsOncePerServerLabelledWithIt() throws {
        let pinned = try Self.scenario("""
            name: pinned
            servers: [{name: a}]
            clients: [{name: app, driver: python}, {name: other, driver: go}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let mixed = try Self.scenario("""
            name: mixed
            servers: [{name: a}]
            clients: [{name: app, driver: python}, {name: other}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let runs = try Self.runs([pinned, mixed], clients: ["c", "go"], servers: [Self.old, Self.new])
        #expect(runs.map { "\($0.scenario.name) \($0.target.label) \($0.target.server.version)" }
            == ["pinned python+go 2.9.10", "pinned python+go 2.15.1", "mixed c 2.9.10", "mixed c 2.15.1", "mixed go 2.9.10", "mixed go 2.15.1"])
        #expect(runs[0].target.commands["app"]?.executable.hasSuffix("natsfault-driver-python") == true)
    }

    /// A file's `drivers: {c: …}` replaces the shipped nats.c driver for its clients, those that follow `--client c`
    /// and those that name it, as `run --driver c=…` does for a whole run.
    @Test func aFileMayReplaceAShippedDriverForItsClients() throws {
        let replaced = try Self.scenario("""
            name: replaced
            drivers: {c: /bin/true --patched}
            servers: [{name: a}]
            clients: [{name: app}, {name: pinned, driver: c}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let runs = try Self.runs([replaced], clients: ["c"], servers: [Self.new])
        for client in ["app", "pinned"] {
            #expect(runs[0].target.commands[client]?.executable == "/bin/true" && runs[0].target.commands[client]?.arguments == ["--patched"], "\(client)")
        }
    }

    @Test func aScenarioLimitedToServerVersionsIsSkippedOnTheOthersWithItsReason() throws {
        let limited = try Self.scenario("""
            name: new-only
            server_versions: ["2.15"]
            server_versions_reason: $SYS kick requests exist from 2.10 only
            servers: [{name: a}]
            clients: [{name: app}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let everywhere = try Self.scenario("""
            name: everywhere
            servers: [{name: a}]
            clients: [{name: app}]
            assert: [{events: {client: app, event: connected}}]
            """)
        let runs = try Self.runs([limited, everywhere], clients: ["c"], servers: [Self.old, Self.new])
        #expect(runs.map(\.skipReason) == ["applies to nats-server 2.15: $SYS kick requests exist from 2.10 only", nil, nil, nil])
    }

    @Test(arguments: [
        ("requests", "requests", true), ("req", "requests", true), ("req*s", "requests", true), ("req*s", "requests-fast", false),
        ("r?quests", "requests", true), ("*crash*", "server-crash-restart", true), ("crash", "lame-duck", false), ("", "anything", true),
    ])
    func filterMatchesASubstringOrAGlob(_ filter: String, _ name: String, _ matches: Bool) {
        #expect(ScenarioLoader.matches(name, filter: filter) == matches)
    }

    @Test func noFilterMatchesEverything() {
        #expect(ScenarioLoader.matches("anything", filter: nil))
    }

    @Test func theFixturesFilteredByAGlobLeaveOneScenario() throws {
        let fixtures = Self.root.appendingPathComponent("Tests/EndToEndTests/Fixtures").path
        let kept = try ScenarioLoader.load([fixtures]).filter { ScenarioLoader.matches($0.name, filter: "req*s") }
        #expect(kept.map(\.name) == ["requests"])
    }

    @Test func withoutServerOptionsTheNewestInstalledServerRuns() async throws {
        #expect(try await Plan.selectServers(RunOptions(paths: []), installed: Self.installed) == [Self.new])
        var all = RunOptions(paths: [])
        all.allServers = true
        #expect(try await Plan.selectServers(all, installed: Self.installed) == Self.installed)
    }

    @Test func serversByVersionPrefixAreChosenAmongTheInstalledOnes() async throws {
        var options = RunOptions(paths: [])
        options.servers = ["2.9", "2.15.1"]
        #expect(try await Plan.selectServers(options, installed: Self.installed) == [Self.old, Self.new])
        options.servers = ["3.1"]
        await #expect(throws: RunError.self) { try await Plan.selectServers(options, installed: Self.installed) }
    }

    @Test func noInstalledServerIsAnEnvironmentError() async throws {
        do {
            _ = try await Plan.selectServers(RunOptions(paths: []), installed: [])
            Issue.record("expected an error")
        } catch let error as RunError {
            #expect(error.exitStatus == .environment)
        }
    }
}

/// A replay command is one line a shell reads back word for word, and so does `natsfault replay`.
struct ReplayCommandTests {
    @Test(arguments: ["plain", "with space", "it's", "a'b'c", "", "--driver=java=./my driver", "$HOME", "ünïcode x"])
    func everyWordComesBackAsItWas(_ word: String) {
        let line = ["natsfault", "run", word, "last"].map(Plan.shellWord).joined(separator: " ")
        #expect(Replayer.shellWords(line) == ["natsfault", "run", word, "last"], "\(line)")
    }
}

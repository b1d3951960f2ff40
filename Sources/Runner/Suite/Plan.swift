import Foundation
import NATSFaultProcess
import Logging
import NATSFaultDrivers
import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import SystemPackage

/// The runs of a suite: every scenario × server version, each with its target.
struct Plan {
    struct Run {
        var scenario: Scenario
        var target: RunTarget
        var skipReason: String?
        /// Which attempt of its cell (`--repeat`, `--until-fail`); nil when each cell runs once.
        var attempt: Int?
        /// With `--until-fail`: how many attempts at most, stopping at the first that does not pass.
        var untilFail: Int?
        /// Where the run stands in the whole plan (before `--shard` takes its part), from 0.
        var position = 0

        /// `scenario [client × nats-server version]`: its cell, as reports name it.
        var title: String { ScenarioResult.title(scenario: scenario.name, client: target.label, serverVersion: target.server.version) }
        /// The title, with `#N` for an attempt of a repeated cell: unique in a plan.
        var key: String { title + (attempt.map { " #\($0)" } ?? "") }

        /// This run as attempt `number` of its cell: its own work folder and its own seed.
        func attempt(_ number: Int, seed: UInt64) -> Run {
            var run = self
            run.attempt = number
            run.target.workDirectory += "-\(number)"
            run.target.seed = Plan.seed(seed, scenario: scenario.name, client: target.label, server: target.server.version, attempt: number)
            return run
        }
    }

    var runs: [Run]
    var sandboxed: Bool
    var logLevel: Logger.Level
    /// The suite's folder under TMPDIR, every run's work folder inside it; removed when the suite ends.
    var root: String
    /// Where finished runs are kept.
    var artifacts: Artifacts
    /// The seed every run's seed derives from.
    var seed: UInt64
    /// What a replay depends on: SHA-256 of every scenario file and server binary, by path.
    var checksums: [String: String] = [:]
    /// What a replay command repeats of the command line: driver definitions, the sandbox choice, a forced run seed.
    var replayArguments: [String] = []
    var runSeed: UInt64?
    /// A declared known difference that did not happen fails its run.
    var strict = false
    /// With `--shard`: which part of the whole plan `runs` are.
    var shard: ResultsDocument.Shard?

    /// A run's seed: from the suite's seed and the run's scenario, client, server version and attempt.
    static func seed(_ seed: UInt64, scenario: String, client: String, server: String, attempt: Int?) -> UInt64 {
        Seeds.derive(seed, scenario, client, server, String(attempt ?? 1))
    }

    /// How to carry `run` out again exactly: its command line and what it depends on.
    func replay(of run: Run, library: [String: String]?) -> Replay {
        let file = run.scenario.file
        let words = ["natsfault", "run", file, "--client", run.target.client, "--server", run.target.server.path,
                     "--run-seed", String(run.target.seed)] + replayArguments
        return Replay(command: words.map(Self.shellWord).joined(separator: " "), seed: run.target.seed, scenarioChecksum: checksums[file] ?? "?",
                      library: library.map { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") },
                      serverBinary: "nats-server \(run.target.server.version) at \(run.target.server.path)", serverPath: run.target.server.path,
                      serverChecksum: checksums[run.target.server.path] ?? "?")
    }

    /// A word as a shell reads it back: quoted when it holds anything but letters, digits and `-_./=:,@`.
    static func shellWord(_ word: String) -> String {
        guard word.isEmpty || word.contains(where: { !($0.isLetter || $0.isNumber || "-_./=:,@".contains($0)) }) else { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// SHA-256 of a file, from coreutils' sha256sum; nil when it cannot be read.
    static func sha256(_ path: String) async -> String? {
        guard let tool = ChildProcess.find("sha256sum"), let (text, exit) = try? await ChildProcess.output(of: tool, arguments: [path]),
              exit.termination == .exited(0) else { return nil }
        return text.split(separator: " ").first.map(String.init)
    }

    static func make(_ options: RunOptions, warn: @Sendable (String) -> Void, inform: @Sendable (String) -> Void = { _ in }) async throws -> Plan {
        let artifacts = Artifacts(results: options.results, policy: options.keep)
        try artifacts.checkWritable(option: options.results)
        let loaded = try ScenarioLoader.load(options.paths)
        let scenarios = loaded.filter { ScenarioLoader.matches($0.name, filter: options.filter) }
        guard !scenarios.isEmpty else {
            throw RunError.nothingToRun("no scenario matches --filter \"\(options.filter ?? "")\"; the \(loaded.count) in \(options.paths.joined(separator: " ")): "
                                        + loaded.map(\.name).joined(separator: ", "))
        }
        let (installed, broken) = await ServerBinary.inventory()
        let servers: [ServerBinary]
        do { servers = try await selectServers(options, installed: installed) } catch {
            // A version asked for that is in the cache but does not run: say that, and how to repair it.
            if let wanted = options.servers.first(where: { wanted in !installed.contains { $0.satisfies(wanted) } }),
               let match = broken.first(where: { $0.satisfies(wanted) }) {
                throw RunError.missing(SupervisorError.brokenServer(match))
            }
            throw error
        }
        for scenario in scenarios {
            // The versions the scenario pins: a server's own, and those its restarts start a server on.
            var pins = scenario.servers.compactMap { spec in spec.version.map { ("server \(spec.name)", $0) } }
            for step in scenario.steps {
                if case .fault(let fault) = step.action, let version = fault.base.serverVersion { pins.append(("step \(step.location.line)", version)) }
            }
            for (what, version) in pins where (try? ServerBinary.select(from: installed, versionPrefix: version)) == nil {
                let problem = broken.first { $0.satisfies(version) }
                    .map(SupervisorError.brokenServer) ?? .serverNotFound(wanted: version, found: installed.map(\.description))
                throw RunError.missing(problem, for: "\(scenario.file): \(what) needs nats-server \(version)")
            }
        }
        let toolDirectory = ToolPaths.directory
        for d in options.clients {
            do { _ = try DriverCatalog.locate(d, toolDirectory: toolDirectory) } catch { throw RunError.missing(error) }
        }
        var sandboxed = false
        if options.sandbox {
            let probe = await Sandbox.probe()
            sandboxed = probe.available
            if !probe.available {
                warn(probe.detail)
                warn("running unsandboxed on the host's loopback, one scenario at a time; the scenarios' ports must be free")
            }
        }
        if !sandboxed { try refuseFirewallSteps(scenarios, sandboxRequested: options.sandbox) }
        // What a natsfault killed before it could clean up left behind goes now.
        TemporaryFolders.sweep()
        let root = TemporaryFolders.make()
        let seed = options.seed ?? UInt64.random(in: 0...UInt64.max)
        var runs = try runs(scenarios, clients: options.clients, servers: servers, installed: installed, toolDirectory: toolDirectory, root: root,
                            repeats: options.repeats, seed: seed)
        if let forced = options.runSeed { for i in runs.indices { runs[i].target.seed = forced } }
        if let untilFail = options.untilFail { for i in runs.indices { runs[i].untilFail = untilFail } }
        for i in runs.indices { runs[i].position = i }
        var record: ResultsDocument.Shard?
        if let shard = options.shard {
            let durations = try options.durations.map(MeasuredDurations.init(path:))
            (runs, record) = shard.part(of: runs, durations: durations, print: inform)
        }
        var plan = Plan(runs: runs, sandboxed: sandboxed, logLevel: options.logLevel, root: root, artifacts: artifacts, seed: seed, runSeed: options.runSeed, strict: options.strict,
                        shard: record)
        for path in Set(scenarios.map(\.file) + servers.map(\.path) + installed.map(\.path)) { plan.checksums[path] = await sha256(path) }
        plan.replayArguments = options.driverDefinitions.flatMap { ["--driver", $0] } + (sandboxed ? [] : ["--no-sandbox"])
        return plan
    }

    /// Firewall, partition and cut steps change iptables rules, which only a run's own network namespace may hold: without
    /// one they are refused now, before any server starts, naming each step.
    static func refuseFirewallSteps(_ scenarios: [Scenario], sandboxRequested: Bool) throws(RunError) {
        let firewall = Set(FaultCatalog.faults(of: .firewall).map { $0.name })
        let steps = scenarios.flatMap { scenario in
            scenario.steps.compactMap { step -> String? in
                guard case .fault(let fault) = step.action, firewall.contains(type(of: fault.base).name) else { return nil }
                return "\(step.location): \(type(of: fault.base).name)"
            }
        }
        guard !steps.isEmpty else { return }
        let why = sandboxRequested
            ? "the sandbox is not available here (see the warning above; `natsfault doctor` says why)"
            : "--no-sandbox runs on the host, and natsfault never changes the host's firewall"
        let text = "these steps need the run's own network namespace for their iptables rules, and \(why):\n"
            + steps.map { "  " + $0 }.joined(separator: "\n")
            + "\nrun them sandboxed, or leave those scenarios out (--filter)"
        throw sandboxRequested ? .environment(text) : .invalidOption(text)
    }

    /// Every scenario × client × server, in that order, each working in its own folder under `root` with the
    /// command of every client resolved; a run whose server version the scenario's `server_versions` leaves
    /// out is skipped, with the reason.
    ///
    /// - Throws: `RunError.environment` when a client's driver or program is missing.
    ///
    /// - Parameters:
    ///   - repeats: how many attempts of each cell (`--repeat`), each with its own seed; numbered when more than one.
    ///   - seed: the suite's seed, which each run's is derived from.
    static func runs(_ scenarios: [Scenario], clients: [String], servers: [ServerBinary], installed: [ServerBinary],
                     toolDirectory: String, root: String, repeats: Int = 1, seed: UInt64 = 0) throws(RunError) -> [Run] {
        var runs: [Run] = []
        for scenario in scenarios {
            // A scenario none of whose clients follows --client runs the same programs for every one: once per server,
            // labelled with what it runs.
            let label = scenario.followsRunDriver ? nil : scenario.fixedLabel
            // A scenario all of whose servers pin their version runs the same servers whatever --server says: once
            // per client, under the first server of the run.
            let pinned = !scenario.servers.isEmpty && scenario.servers.allSatisfy { $0.version != nil }
            for client in label == nil ? clients : Array(clients.prefix(1)) {
                for server in pinned ? Array(servers.prefix(1)) : servers {
                    var target = try RunTarget(client: client, server: server, installedServers: installed, toolDirectory: toolDirectory,
                                               workDirectory: "\(root)/\(runs.count)-\(scenario.name)-\(label ?? client)-\(server.version)", label: label).resolvingCommands(of: scenario)
                    target.seed = Self.seed(seed, scenario: scenario.name, client: label ?? client, server: server.version, attempt: nil)
                    var skip: String?
                    if !scenario.serverVersions.isEmpty, !scenario.serverVersions.contains(where: server.satisfies) {
                        skip = "applies to nats-server \(scenario.serverVersions.joined(separator: ", "))" + (scenario.serverVersionsReason.map { ": \($0)" } ?? "")
                    }
                    if let only = scenario.only, label == nil, !only.drivers.contains(client) {
                        skip = "runs only on \(only.drivers.joined(separator: ", ")): \(only.reason)"
                    }
                    let run = Run(scenario: scenario, target: target, skipReason: skip)
                    if repeats > 1 {
                        runs += (1...repeats).map { run.attempt($0, seed: seed) }
                    } else {
                        runs.append(run)
                    }
                }
            }
        }
        return runs
    }

    /// The server binaries to run against: by version or path, explicit paths, every version, or the newest installed.
    static func selectServers(_ options: RunOptions, installed: [ServerBinary]) async throws -> [ServerBinary] {
        if !options.servers.isEmpty {
            var found: [ServerBinary] = []
            for wanted in options.servers {
                do { found.append(try await ServerBinary.choose(wanted, installed: installed)) } catch { throw RunError.missing(error) }
            }
            return found
        }
        if !options.serverBinaries.isEmpty {
            var found: [ServerBinary] = []
            for path in options.serverBinaries {
                do { found.append(try await ServerBinary.identify(path: path)) } catch { throw RunError.missing(error) }
            }
            return found
        }
        guard let newest = installed.first else {
            throw RunError.missing(SupervisorError.serverNotFound(wanted: "", found: []))
        }
        return options.allServers ? installed : [newest]
    }
}

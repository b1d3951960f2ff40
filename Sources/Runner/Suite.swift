import Foundation
public import Logging
import NATSFaultDrivers
public import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import SystemPackage

/// What `natsfault run` was asked to do.
public struct RunOptions: Sendable {
    public var paths: [String]
    /// The drivers for clients that do not name one: every scenario runs once with each.
    public var clients: [String] = [DriverCatalog.defaultDriver]
    /// Explicit server binaries; each scenario runs against each of them.
    public var serverBinaries: [String] = []
    /// Servers by version prefix (`2.9`, `2.15.1`) among the installed ones, or by binary path.
    public var servers: [String] = []
    /// Run against every installed nats-server version.
    public var allServers = false
    public var jobs = 1
    public var filter: String?
    /// false: run on the host's loopback without namespaces (one scenario at a time).
    public var sandbox = true
    /// The scenario runners' log level; below `warning`, their logs stream to stderr as they run.
    public var logLevel: Logger.Level = .warning

    public init(paths: [String]) { self.paths = paths }
}

/// Runs a set of scenarios across server versions, each in its own sandbox, and reports.
public enum Suite {
    /// Runs everything `options` asks for, printing progress through `print` and handing every result to `reporters`.
    ///
    /// - Parameter reporters: called in this order, as runs end and once after the last (see `Reporter`).
    /// - Returns: the exit status: 0 all passed, 1 a run failed, 2 invalid input, 3 environment.
    public static func run(_ options: RunOptions, reporters: [any Reporter], print: @escaping @Sendable (String) -> Void) async -> ExitStatus {
        do {
            let plan = try await Plan.make(options, print: print)
            let wallStart = MonotonicClock.nowNs()
            let results = await execute(plan, options: options, reporters: reporters)
            let history = SuiteHistory(results: results, wallSeconds: Double(MonotonicClock.nowNs() - wallStart) / 1e9)
            for reporter in reporters { try reporter.suiteFinished(history) }
            return results.contains { $0.outcome == .failed || $0.outcome == .error } ? .failed : .passed
        } catch let error as RunError {
            print("error: \(error)")
            return error.exitStatus
        } catch {
            print("error: \(error)")
            return .failed
        }
    }

    /// Runs the plan's runs, `jobs` at a time, handing each result to the reporters as it comes.
    private static func execute(_ plan: Plan, options: RunOptions, reporters: [any Reporter]) async -> [ScenarioResult] {
        let jobs = plan.sandboxed ? max(1, options.jobs) : 1
        var results = Array<ScenarioResult?>(repeating: nil, count: plan.runs.count)
        await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var next = 0
            func launch() {
                guard next < plan.runs.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await runInChild(plan.runs[index], index: index, plan: plan)) }
            }
            for _ in 0..<jobs { launch() }
            while let (index, result) = await group.next() {
                for reporter in reporters { reporter.runFinished(result) }
                results[index] = result
                launch()
            }
        }
        return results.compactMap { $0 }
    }

    /// Runs one scenario in a child natsfault process, sandboxed when namespaces work.
    private static func runInChild(_ run: Plan.Run, index: Int, plan: Plan) async -> ScenarioResult {
        if let skip = run.skipReason {
            return ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: run.scenario.description,
                                  client: run.target.client, serverVersion: run.target.server.version, outcome: .skipped, reason: skip)
        }
        let folder = run.target.workDirectory
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let started = MonotonicClock.nowNs()
        let work = ScenarioWork(scenario: run.scenario, target: run.target)
        switch await SandboxedRun.run(work, sandboxed: plan.sandboxed, logLevel: plan.logLevel, stderrPath: plan.logLevel < .warning ? nil : "\(folder)/runner.log") {
        case .success(let result):
            try? FileManager.default.removeItem(atPath: folder)
            return result
        case .failure(let failure):
            let log = (try? String(contentsOfFile: "\(folder)/runner.log", encoding: .utf8)) ?? ""
            return ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: run.scenario.description,
                                  client: run.target.client, serverVersion: run.target.server.version, outcome: .error,
                                  reason: "\(failure)" + (log.isEmpty ? "" : "; its output ends:\n" + log.suffix(2000)),
                                  wallSeconds: Double(MonotonicClock.nowNs() - started) / 1e9)
        }
    }
}

/// The runs of a suite: every scenario × server version, each with its target.
struct Plan {
    struct Run {
        var scenario: Scenario
        var target: RunTarget
        var skipReason: String?
    }

    var runs: [Run]
    var sandboxed: Bool
    var logLevel: Logger.Level

    static func make(_ options: RunOptions, print: @Sendable (String) -> Void) async throws -> Plan {
        let scenarios = try ScenarioLoader.load(options.paths).filter { ScenarioLoader.matches($0.name, filter: options.filter) }
        guard !scenarios.isEmpty else {
            throw RunError.nothingToRun("no scenario" + (options.filter.map { " matches --filter \"\($0)\"" } ?? " found in \(options.paths.joined(separator: " "))"))
        }
        let installed = await ServerBinary.discover()
        let servers = try await selectServers(options, installed: installed)
        for scenario in scenarios {
            for spec in scenario.servers {
                guard let version = spec.version, !installed.contains(where: { $0.satisfies(version) }) else { continue }
                throw RunError.environment("\(scenario.file): server \(spec.name) needs nats-server \(version); \(SupervisorError.serverNotFound(wanted: version, found: installed.map(\.description)))")
            }
        }
        let toolDirectory = ToolPaths.directory
        for d in options.clients {
            do { _ = try DriverCatalog.locate(d, toolDirectory: toolDirectory) } catch { throw RunError.environment("\(error)") }
        }
        var sandboxed = false
        if options.sandbox {
            let probe = await Sandbox.probe()
            sandboxed = probe.available
            if !probe.available {
                print("warning: \(probe.detail)")
                print("warning: running unsandboxed on the host's loopback, one scenario at a time; the scenarios' ports must be free")
            }
        }
        let root = NSTemporaryDirectory() + "natsfault-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let runs = try runs(scenarios, clients: options.clients, servers: servers, installed: installed, toolDirectory: toolDirectory, root: root)
        return Plan(runs: runs, sandboxed: sandboxed, logLevel: options.logLevel)
    }

    /// Every scenario × client × server, in that order, each working in its own folder under `root` with the
    /// command of every client resolved; a run whose server version the scenario's `server_versions` leaves
    /// out is skipped, with the reason.
    ///
    /// - Throws: `RunError.environment` when a client's driver or program is missing.
    static func runs(_ scenarios: [Scenario], clients: [String], servers: [ServerBinary], installed: [ServerBinary],
                     toolDirectory: String, root: String) throws(RunError) -> [Run] {
        var runs: [Run] = []
        for scenario in scenarios {
            for client in clients {
                for server in servers {
                    let target = try RunTarget(client: client, server: server, installedServers: installed, toolDirectory: toolDirectory,
                                               workDirectory: "\(root)/\(runs.count)-\(scenario.name)-\(client)-\(server.version)").resolvingCommands(of: scenario)
                    var skip: String?
                    if !scenario.serverVersions.isEmpty, !scenario.serverVersions.contains(where: server.satisfies) {
                        skip = "applies to nats-server \(scenario.serverVersions.joined(separator: ", "))" + (scenario.serverVersionsReason.map { ": \($0)" } ?? "")
                    }
                    runs.append(Run(scenario: scenario, target: target, skipReason: skip))
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
                do { found.append(try await ServerBinary.choose(wanted, installed: installed)) } catch { throw RunError.environment("\(error)") }
            }
            return found
        }
        if !options.serverBinaries.isEmpty {
            var found: [ServerBinary] = []
            for path in options.serverBinaries {
                do { found.append(try await ServerBinary.identify(path: path)) } catch { throw RunError.environment("\(error)") }
            }
            return found
        }
        guard let newest = installed.first else {
            throw RunError.environment("\(SupervisorError.serverNotFound(wanted: "", found: []))")
        }
        return options.allServers ? installed : [newest]
    }
}

/// Where this natsfault executable lives (the nats.c driver is built beside it).
public enum ToolPaths {
    public static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static var directory: String { (executable as NSString).deletingLastPathComponent }
}

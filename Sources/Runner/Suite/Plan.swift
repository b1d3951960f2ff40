import Foundation
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
    }

    var runs: [Run]
    var sandboxed: Bool
    var logLevel: Logger.Level
    /// The suite's folder under TMPDIR, every run's work folder inside it; removed when the suite ends.
    var root: String
    /// Where finished runs are kept.
    var artifacts: Artifacts

    static func make(_ options: RunOptions, print: @Sendable (String) -> Void) async throws -> Plan {
        let artifacts = Artifacts(results: options.results, policy: options.keep)
        try artifacts.checkWritable()
        let scenarios = try ScenarioLoader.load(options.paths).filter { ScenarioLoader.matches($0.name, filter: options.filter) }
        guard !scenarios.isEmpty else {
            throw RunError.nothingToRun("no scenario" + (options.filter.map { " matches --filter \"\($0)\"" } ?? " found in \(options.paths.joined(separator: " "))"))
        }
        let installed = await ServerBinary.discover()
        let servers = try await selectServers(options, installed: installed)
        for scenario in scenarios {
            for spec in scenario.servers {
                guard let version = spec.version, !installed.contains(where: { $0.satisfies(version) }) else { continue }
                throw RunError.missing(SupervisorError.serverNotFound(wanted: version, found: installed.map(\.description)),
                                       for: "\(scenario.file): server \(spec.name) needs nats-server \(version)")
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
                print("warning: \(probe.detail)")
                print("warning: running unsandboxed on the host's loopback, one scenario at a time; the scenarios' ports must be free")
            }
        }
        // What a natsfault killed before it could clean up left behind goes now.
        TemporaryFolders.sweep()
        let root = TemporaryFolders.make()
        let runs = try runs(scenarios, clients: options.clients, servers: servers, installed: installed, toolDirectory: toolDirectory, root: root)
        return Plan(runs: runs, sandboxed: sandboxed, logLevel: options.logLevel, root: root, artifacts: artifacts)
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

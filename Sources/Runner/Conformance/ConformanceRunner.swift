import Foundation
public import Logging
import NATSFaultDrivers
import NATSFaultProcess
public import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization

/// `natsfault conformance`: finds the driver and the server, and runs the checks in a sandbox of their own
/// (this executable again, under `unshare`), so that nothing they start outlives them.
public enum ConformanceRunner {
    public struct Options: Sendable {
        /// A driver name (shipped, or defined with `--define`) or a command.
        public var driver: String
        /// A version prefix of an installed nats-server, or a binary path; nil: the newest installed.
        public var server: String?
        public var sandbox = true
        public var logLevel: Logger.Level = .warning
        /// Where a failed check's logs are kept (`<results>/conformance/<driver>/`).
        public var results = "results"

        public init(driver: String, server: String?) {
            self.driver = driver
            self.server = server
        }
    }

    public static func run(_ options: Options, console: Console) async -> ExitStatus {
        let command: DriverCommand
        let binary: ServerBinary
        do {
            command = try DriverCatalog.resolve(options.driver, toolDirectory: ToolPaths.directory)
            binary = try await server(options.server)
        } catch let error as RunError {
            console.problem("error: \(error)")
            return error.exitStatus
        } catch {
            console.problem("error: \(error)")
            return .environment
        }
        let kept = URL(fileURLWithPath: options.results).appendingPathComponent("conformance/\(Artifacts.sanitised(command.name))").standardizedFileURL.path
        do { try WritableFolder.check((kept as NSString).deletingLastPathComponent) } catch {
            console.problem("error: --results \(options.results): \(error)")
            return .invalidInput
        }
        // The check works in the suite's kind of temporary folder, so that a killed natsfault's is swept too.
        let work = TemporaryFolders.make()
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var sandboxed = false
        if options.sandbox {
            let probe = await Sandbox.probe()
            sandboxed = probe.available
            if !probe.available { console.problem("warning: \(probe.detail); running on the host's loopback") }
        }
        let check = ConformanceWork(driver: command, server: binary, workDirectory: work)
        /// A failed check's driver stderr and server logs go where they stay.
        func keep() -> String {
            try? FileManager.default.removeItem(atPath: kept)
            do { try FileManager.default.moveItem(atPath: work, toPath: kept) } catch { try? FileManager.default.copyItem(atPath: work, toPath: kept) }
            return kept
        }
        guard case .success(let outcome) = await SandboxedRun.run(check, sandboxed: sandboxed, logLevel: options.logLevel, stderrPath: nil) else {
            console.problem("error: the conformance check ended without a report; the driver's stderr and the servers' logs: \(keep())")
            return .failed
        }
        for line in outcome.lines { console.line(line) }
        if outcome.passed { return .passed }
        console.line("the driver's stderr and the servers' logs: \(keep())")
        return .failed
    }

    /// An installed nats-server by version prefix (nil: the newest), or the binary at a path.
    static func server(_ wanted: String?) async throws -> ServerBinary {
        do { return try await ServerBinary.choose(wanted, installed: await ServerBinary.discover()) } catch { throw RunError.missing(error) }
    }
}

import Foundation
public import Logging
import NATSFaultDrivers
import NATSFaultReporting
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

        public init(driver: String, server: String?) {
            self.driver = driver
            self.server = server
        }
    }

    public static func run(_ options: Options, print: @escaping @Sendable (String) -> Void) async -> ExitStatus {
        let command: DriverCommand
        let binary: ServerBinary
        do {
            command = try DriverCatalog.resolve(options.driver, toolDirectory: ToolPaths.directory)
            binary = try await server(options.server)
        } catch let error as RunError {
            print("error: \(error)")
            return error.exitStatus
        } catch {
            print("error: \(error)")
            return .environment
        }
        let work = NSTemporaryDirectory() + "natsfault-conformance-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var sandboxed = false
        if options.sandbox {
            let probe = await Sandbox.probe()
            sandboxed = probe.available
            if !probe.available { print("warning: \(probe.detail); running on the host's loopback") }
        }
        let check = ConformanceWork(driver: command, server: binary, workDirectory: work)
        guard case .success(let outcome) = await SandboxedRun.run(check, sandboxed: sandboxed, logLevel: options.logLevel, stderrPath: nil) else {
            print("error: the conformance check ended without a report; the driver's stderr and the servers' logs: \(work)")
            return .failed
        }
        for line in outcome.lines { print(line) }
        if outcome.passed {
            try? FileManager.default.removeItem(atPath: work)
            return .passed
        }
        print("the driver's stderr and the servers' logs: \(work)")
        return .failed
    }

    /// An installed nats-server by version prefix (nil: the newest), or the binary at a path.
    static func server(_ wanted: String?) async throws -> ServerBinary {
        do { return try await ServerBinary.choose(wanted, installed: await ServerBinary.discover()) } catch { throw RunError.missing(error) }
    }
}

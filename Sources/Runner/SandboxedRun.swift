import Foundation
public import Logging
import NATSFaultDrivers
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A piece of work carried out by a fresh natsfault process, inside fresh namespaces when they work.
///
/// A process has to be executed to enter new namespaces (a multithreaded process cannot join a user
/// namespace), so the child is natsfault itself, started as `natsfault _sandboxed`: it reads this one
/// document on its standard input, does the work and writes a `SandboxedOutcome` on its standard output.
/// Nothing travels in arguments or the environment, and nothing is parsed twice.
public struct SandboxedJob: Sendable, Codable {
    public enum Work: Sendable, Codable {
        /// One scenario, parsed, against one target whose commands are resolved.
        case scenario(Scenario, RunTarget)
        /// The driver-protocol conformance check of one driver against one server.
        case conformance(driver: DriverCommand, server: ServerBinary, workDirectory: String)
    }

    public var work: Work
    /// Whether the child is PID 1 of fresh namespaces (false: it runs on the host's loopback).
    public var sandboxed: Bool
    public var logLevel: Logger.Level
}

/// What a sandboxed child hands back.
public enum SandboxedOutcome: Sendable, Codable {
    case scenario(ScenarioResult)
    case conformance(lines: [String], passed: Bool)
}

extension Logger.Level: Codable {}

/// Runs `SandboxedJob`s in child processes, and serves them in the child.
public enum SandboxedRun {
    /// The hidden subcommand that serves a job.
    public static let entryPoint = "_sandboxed"

    /// Runs `job` in a fresh natsfault process; returns its outcome, or why there is none.
    ///
    /// - Parameter stderrPath: where the child's standard error goes (nil: this process's own).
    public static func run(_ job: SandboxedJob, stderrPath: String?) async -> Result<SandboxedOutcome, SandboxedRunError> {
        let document: Data
        do { document = try JSONEncoder().encode(job) + Data("\n".utf8) } catch { return .failure(.cannotEncode("\(error)")) }
        let (executable, arguments) = job.sandboxed ? Sandbox.wrap(ToolPaths.executable, [entryPoint]) : (ToolPaths.executable, [entryPoint])
        do {
            let stderrLog = try stderrPath.map { try FileDescriptor.open(FilePath($0), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite]) }
                ?? .standardError
            var platform = PlatformOptions()
            platform.teardownSequence = [.send(signal: .kill, allowedDurationToNextStep: .milliseconds(100))]
            // Unsandboxed, the child leads a process group of its own that it can take down whole.
            if !job.sandboxed { platform.processGroupID = 0 }
            let outcome = try await Subprocess.run(
                .path(FilePath(executable)), arguments: .init(arguments), platformOptions: platform,
                input: .inputWriter, output: .sequence, error: .fileDescriptor(stderrLog, closeAfterSpawningProcess: stderrLog != .standardError)
            ) { execution in
                _ = try await execution.standardInputWriter.write(Array(document))
                // The child's stdin stays open while this runs: its end-of-file tells the child we are gone.
                var output: [UInt8] = []
                for try await chunk in execution.standardOutput { chunk.withUnsafeBytes { output.append(contentsOf: $0) } }
                return output
            }
            guard let line = outcome.closureResult.split(separator: UInt8(ascii: "\n")).last,
                  let decoded = try? JSONDecoder().decode(SandboxedOutcome.self, from: Data(line)) else {
                return .failure(.noOutcome(status: "\(outcome.terminationStatus)"))
            }
            return .success(decoded)
        } catch {
            return .failure(.cannotStart("\(error)"))
        }
    }

    /// The child's side: reads the job from standard input, carries it out, writes the outcome on standard output.
    ///
    /// - Returns: the process exit status (0 once an outcome is written).
    public static func serve() async -> Int32 {
        guard let line = readDocumentLine(), let job = try? JSONDecoder().decode(SandboxedJob.self, from: line) else {
            FileHandle.standardError.write(Data("natsfault \(entryPoint): no job on standard input; it is started by natsfault itself\n".utf8))
            return ExitStatus.invalidInput.rawValue
        }
        RunnerLogging.start(job.logLevel)
        var setupError: String?
        do {
            if job.sandboxed { try Sandbox.enter() } else { Sandbox.endWithParent(killingProcessGroup: true) }
        } catch {
            setupError = "cannot set up the sandbox: \(error)"
        }
        let outcome: SandboxedOutcome
        switch job.work {
        case .scenario(let scenario, var target):
            target.sandboxed = job.sandboxed
            if let setupError {
                outcome = .scenario(ScenarioResult(scenario: scenario.name, file: scenario.file, description: scenario.description, client: target.client,
                                                   serverVersion: target.server.version, outcome: .error, reason: setupError))
            } else {
                outcome = .scenario(await ScenarioRun(scenario: scenario, target: target).run())
            }
        case .conformance(let driver, let server, let work):
            if let setupError {
                outcome = .conformance(lines: ["error: \(setupError)"], passed: false)
            } else {
                let report = await Conformance(command: driver, binary: server, workDirectory: work, logger: Logger(label: "natsfault")).run()
                outcome = .conformance(lines: report.lines, passed: report.passed)
            }
        }
        guard let data = try? JSONEncoder().encode(outcome) else { return ExitStatus.failed.rawValue }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
        return 0
    }

    /// The first line of standard input, read a chunk at a time (the parent writes nothing after it).
    private static func readDocumentLine() -> Data? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.last != UInt8(ascii: "\n") {
            let n = read(0, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            bytes.append(contentsOf: chunk[..<n])
        }
        return Data(bytes.dropLast())
    }
}

/// Why a sandboxed child gave no outcome.
public enum SandboxedRunError: Error, Sendable, CustomStringConvertible {
    case cannotEncode(String)
    case cannotStart(String)
    /// It ended without writing an outcome (it crashed, or was killed).
    case noOutcome(status: String)

    public var description: String {
        switch self {
        case .cannotEncode(let why): "cannot hand the run over: \(why)"
        case .cannotStart(let why): "cannot start the scenario runner: \(why)"
        case .noOutcome(let status): "the scenario runner ended with \(status) and wrote no result"
        }
    }
}

/// What a runner process says about itself goes to stderr, from `level` up.
enum RunnerLogging {
    static func start(_ level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

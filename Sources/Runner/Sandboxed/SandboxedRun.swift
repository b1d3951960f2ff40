import Foundation
import Logging
import NATSFaultDrivers
import NATSFaultProcess
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A piece of work a fresh natsfault process carries out, inside fresh namespaces when they work.
///
/// A process has to be executed to enter new namespaces (a multithreaded process cannot join a user
/// namespace), so the child is natsfault itself, started as `natsfault _sandboxed`: it reads one
/// document — the work, whether it is sandboxed, its log level — on its standard input, carries the work
/// out and writes the typed outcome on its standard output. Nothing travels in arguments or the
/// environment, and nothing is parsed twice.
public protocol SandboxedWork: Sendable, Codable {
    associatedtype Outcome: Sendable, Codable
    /// Names the kind of work in the document.
    static var kind: String { get }
    /// Carries the work out, in the child.
    func perform(sandboxed: Bool) async -> Outcome
    /// The outcome when the child could not set up its sandbox (`reason`).
    func failed(_ reason: String) -> Outcome
}

/// One scenario, parsed, against one target whose clients' commands are resolved.
struct ScenarioWork: SandboxedWork {
    static let kind = "scenario"
    var scenario: Scenario
    var target: RunTarget

    func perform(sandboxed: Bool) async -> ScenarioResult {
        var target = target
        target.sandboxed = sandboxed
        return await ScenarioRun(scenario: scenario, target: target).run()
    }

    func failed(_ reason: String) -> ScenarioResult {
        ScenarioResult(scenario: scenario.name, file: scenario.file, description: scenario.description, client: target.label,
                       serverVersion: target.server.version, outcome: .error, reason: reason)
    }
}

/// The lines a check prints, and whether it passed.
struct CheckOutcome: Sendable, Codable {
    var lines: [String]
    var passed: Bool
}

/// The driver-protocol conformance check of one driver against one server.
struct ConformanceWork: SandboxedWork {
    static let kind = "conformance"
    var driver: DriverCommand
    var server: ServerBinary
    var workDirectory: String

    func perform(sandboxed: Bool) async -> CheckOutcome {
        let report = await Conformance(command: driver, binary: server, workDirectory: workDirectory, logger: Logger(label: "natsfault")).run()
        return CheckOutcome(lines: report.lines, passed: report.passed)
    }

    func failed(_ reason: String) -> CheckOutcome { CheckOutcome(lines: ["error: \(reason)"], passed: false) }
}

/// `doctor`'s libiptc round trip: rules added and removed in the child's own network namespace.
struct FirewallRoundTripWork: SandboxedWork {
    static let kind = "firewall-round-trip"

    func perform(sandboxed: Bool) async -> CheckOutcome {
        let (passed, lines) = FirewallCheck.run()
        return CheckOutcome(lines: lines, passed: passed)
    }

    func failed(_ reason: String) -> CheckOutcome { CheckOutcome(lines: ["FAIL \(reason)"], passed: false) }
}

/// Runs sandboxed work in child processes, and serves it in the child.
public enum SandboxedRun {
    /// The hidden subcommand that serves the work.
    public static let entryPoint = "_sandboxed"

    /// The kinds of work a child can serve.
    static let kinds: [any SandboxedWork.Type] = [ScenarioWork.self, ConformanceWork.self, FirewallRoundTripWork.self]

    /// The document a child reads.
    private struct Document<Work: SandboxedWork>: Codable {
        var kind = Work.kind
        var sandboxed: Bool
        var logLevel: Logger.Level
        var work: Work
    }

    /// What a child reads first, to know which work the document holds.
    private struct Header: Decodable {
        var kind: String
    }

    /// Carries `work` out in a fresh natsfault process; returns its outcome, or why there is none.
    ///
    /// - Parameters:
    ///   - sandboxed: in fresh namespaces (false: on the host's loopback, as the leader of a process group).
    ///   - stderrPath: where the child's standard error goes (nil: this process's own).
    static func run<Work: SandboxedWork>(_ work: Work, sandboxed: Bool, logLevel: Logger.Level, stderrPath: String?) async -> Result<Work.Outcome, SandboxedRunError> {
        let document: Data
        do { document = try JSONEncoder().encode(Document(sandboxed: sandboxed, logLevel: logLevel, work: work)) + Data("\n".utf8) } catch {
            return .failure(.cannotEncode("\(error)"))
        }
        let (executable, arguments) = sandboxed ? Sandbox.wrap(ToolPaths.executable, [entryPoint]) : (ToolPaths.executable, [entryPoint])
        let output = Mutex<[UInt8]>([])
        let child: ChildProcess
        do {
            child = try await ChildProcess.start(
                executable, arguments: arguments, input: .pipe,
                // The outcome is one JSON line, as long as the run's events make it: natsfault's own child, not limited.
                output: .lines(lineLimit: .max) { lines in output.withLock { $0.append(contentsOf: lines) } },
                error: stderrPath.map { .file($0, truncate: true) } ?? .lines { lines in FileHandle.standardError.write(Data(lines)) },
                // The child leads a process group of its own: a terminal's Ctrl-C reaches natsfault alone, which stops the
                // runs in order (a signal to every process at once would end them as crashes); unsandboxed, the child
                // can take its group down whole.
                ownProcessGroup: true)
        } catch {
            return .failure(.cannotStart("\(error)"))
        }
        // The child's stdin stays open while it runs: its end-of-file tells the child we are gone.
        child.write(Array(document))
        let exit = await withTaskCancellationHandler {
            await child.exit()
        } onCancel: {
            // Interrupted: take the whole run down at once. In a sandbox, unshare's death kills its child (--kill-child),
            // whose PID namespace takes every server and driver with it; unsandboxed, the child's process group goes.
            if sandboxed { child.signal(SIGKILL) } else { kill(-child.pid, SIGKILL) }
        }
        guard let line = output.withLock({ $0 }).split(separator: UInt8(ascii: "\n")).last,
              let outcome = try? JSONDecoder().decode(Work.Outcome.self, from: Data(line)) else {
            return .failure(.noOutcome(status: "\(exit)"))
        }
        return .success(outcome)
    }

    /// The child's side: reads the document on standard input, carries the work out, writes the outcome on standard output.
    ///
    /// - Returns: the process exit status (0 once an outcome is written).
    public static func serve() async -> Int32 {
        guard let line = readDocumentLine(), let header = try? JSONDecoder().decode(Header.self, from: line),
              let kind = kinds.first(where: { $0.kind == header.kind }), let outcome = await serve(kind, line) else {
            FileHandle.standardError.write(Data("natsfault \(entryPoint): no work on standard input; it is started by natsfault itself\n".utf8))
            return ExitStatus.invalidInput.rawValue
        }
        FileHandle.standardOutput.write(outcome + Data("\n".utf8))
        return 0
    }

    private static func serve<Work: SandboxedWork>(_: Work.Type, _ line: Data) async -> Data? {
        guard let document = try? JSONDecoder().decode(Document<Work>.self, from: line) else { return nil }
        RunnerLogging.start(document.logLevel)
        let outcome: Work.Outcome
        do {
            if document.sandboxed { try Sandbox.enter() } else { Sandbox.endWithParent(killingProcessGroup: true) }
            outcome = await document.work.perform(sandboxed: document.sandboxed)
        } catch {
            outcome = document.work.failed("cannot set up the sandbox: \(error)")
        }
        return try? JSONEncoder().encode(outcome)
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

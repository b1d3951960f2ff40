public import NATSFaultTimeline
import Foundation
public import Logging
import NATSFaultProcess

/// An application under test: any program, started with `NATS_URL` pointing at its link, whose stdout and
/// stderr lines become `output` events and whose end becomes an `exited` event with its status.
///
/// It is not a driver: natsfault does not talk to it. What it does shows on the server (its connection by
/// name), in probes (its subjects and services answering) and in its own output and exit status.
public actor ApplicationProcess {
    public nonisolated let client: String
    private let command: DriverCommand
    private let environment: [String: String]
    private let logPath: String
    private let record: @Sendable (RecordedEvent) -> Void
    private let logger: Logger
    private var process: ChildProcess?
    private var killedOnPurpose = false
    /// Lines taken from the program in this run: past `OutputLimits.events`, it is stopped.
    private var linesTaken = 0
    /// Why natsfault stopped a program that broke the output limits; nil if it did not.
    public private(set) var broken: String?
    private var starts = 0

    /// - Parameter environment: the whole set of variables natsfault adds (`NATS_URL`, …) and the scenario's own.
    public init(client: String, command: DriverCommand, environment: [String: String], workDirectory: String, logger: Logger,
                record: @escaping @Sendable (RecordedEvent) -> Void) {
        self.client = client
        self.command = command
        self.environment = environment
        self.logPath = "\(workDirectory)/\(client).app.log"
        self.logger = logger
        self.record = record
    }

    /// Starts the program (again, after it ended); returns once it runs.
    public func start() async throws {
        if let process {
            if process.isRunning { throw DriverError.cannotStart(name: command.name, reason: "it is still running") }
            // Its `exited` event comes before anything of the next life.
            await process.exit()
        }
        starts += 1
        killedOnPurpose = false
        let client = self.client, record = self.record
        // Each line goes to the log file and becomes an event; stdout and stderr are read side by side.
        let output = ChildProcess.Output.lines(copyTo: logPath, truncate: starts == 1, overlong: { [weak self] limit in
            await self?.stop(because: "its output has a line longer than \(OutputLimits.describe(bytes: limit)) (or no line end)")
        }) { [weak self] lines in
            guard let self, await self.take(lines) else { return }
            for line in DriverLine.split(lines) {
                record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .output, text: line))
            }
        }
        do {
            let started = try await ChildProcess.start(command.executable, arguments: command.arguments, environment: environment,
                                                       output: output, error: output, onExit: { [weak self] exit in await self?.ended("\(exit)") })
            process = started
            logger.debug("application \(client): started \(command.executable), pid \(started.pid)")
        } catch {
            switch error {
            case .cannotOpen(let path, let cause):
                throw DriverError.cannotStart(name: command.name, reason: "cannot write \(path): \(cause.text)")
            case .cannotStart(_, let cause):
                ended("could not start: \(cause)")
                throw DriverError.cannotStart(name: command.name, reason: "\(cause)")
            }
        }
    }

    /// Whether the program runs (a paused one does).
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Sends a signal to the program (SIGSTOP and SIGCONT pause and resume it); nothing when it is not running.
    /// SIGSTOP returns once the process is stopped.
    public func signal(_ sig: Int32) async {
        if sig == SIGSTOP { await process?.stop() } else { process?.signal(sig) }
    }

    /// SIGKILLs the program: an application crashing.
    public func kill() {
        guard let process, process.isRunning else { return }
        killedOnPurpose = true
        process.signal(SIGKILL)
    }

    /// SIGTERM, then SIGKILL if it lingers past `grace`; waits for it to end.
    public func stop(grace: Duration = .seconds(2)) async {
        guard let process else { return }
        if process.isRunning { killedOnPurpose = true }
        await process.terminate(.signal(SIGTERM), grace: grace)
    }

    /// Waits up to `timeout` for the program to end; whether it did.
    public func waitForEnd(timeout: Duration) async -> Bool {
        guard let process else { return true }
        return await process.exit(within: timeout) != nil
    }

    /// The last lines the program wrote.
    public nonisolated func outputTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8), !text.isEmpty else { return "(no output)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Whether these lines are within the run's output limit; past it, the program is stopped.
    private func take(_ lines: ArraySlice<UInt8>) -> Bool {
        guard broken == nil else { return false }
        linesTaken += lines.lazy.filter { $0 == UInt8(ascii: "\n") }.count
        guard linesTaken <= OutputLimits.events else {
            stop(because: "it wrote more than \(OutputLimits.events) lines in one run")
            return false
        }
        return true
    }

    /// Stops a program that broke the output limits, saying why in the timeline.
    private func stop(because reason: String) {
        guard broken == nil else { return }
        broken = "natsfault stopped application \(client): \(reason)"
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .outputLimit, text: broken))
        killedOnPurpose = true
        process?.signal(SIGKILL)
    }

    private func ended(_ status: String) {
        logger.debug("application \(client): \(status)")
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .exited,
                             text: killedOnPurpose ? "\(status), stopped by natsfault" : status))
    }
}

public import NATSFaultTimeline
import Foundation
public import Logging
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

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
    private var process: Task<Void, Never>?
    private var pid: pid_t?
    private var running = false
    private var killedOnPurpose = false
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
        if running { throw DriverError.cannotStart(name: command.name, reason: "it is still running") }
        await process?.value
        starts += 1
        killedOnPurpose = false
        let log: FileDescriptor
        do {
            log = try FileDescriptor.open(FilePath(logPath), .writeOnly, options: starts == 1 ? [.create, .truncate] : [.create, .append],
                                          permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw DriverError.cannotStart(name: command.name, reason: "cannot write \(logPath): \(error)")
        }
        var options = PlatformOptions()
        options.teardownSequence = [.send(signal: .kill, allowedDurationToNextStep: .milliseconds(100))]
        let command = self.command, client = self.client, record = self.record
        let overrides = Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, Optional($0.value)) })
        let (started, startedSink) = AsyncStream.makeStream(of: Result<pid_t, any Error>.self)
        process = Task { [weak self] in
            do {
                let outcome = try await Subprocess.run(
                    .path(FilePath(command.executable)), arguments: .init(command.arguments), environment: .inherit.updating(overrides),
                    platformOptions: options, input: .none, output: .sequence, error: .sequence
                ) { execution in
                    startedSink.yield(.success(execution.processIdentifier.value))
                    startedSink.finish()
                    // Each line goes to the log file and becomes an event; stdout and stderr are read side by side.
                    await withTaskGroup(of: Void.self) { group in
                        for stream in [execution.standardOutput, execution.standardError] {
                            group.addTask {
                                func emit(_ bytes: ArraySlice<UInt8>, newline: Bool = false) {
                                    _ = bytes.withUnsafeBytes { try? log.writeAll($0) }
                                    if newline { _ = try? log.writeAll([UInt8(ascii: "\n")]) }
                                    for line in DriverLine.split(bytes) {
                                        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: "output", text: line))
                                    }
                                }
                                var lines = LineAssembler()
                                do {
                                    for try await chunk in stream {
                                        if let complete = chunk.withUnsafeBytes({ lines.add($0) }) { emit(complete) }
                                    }
                                } catch {}
                                if let last = lines.finish() { emit(last, newline: true) }
                            }
                        }
                    }
                }
                try? log.close()
                await self?.ended("\(outcome.terminationStatus)")
            } catch {
                startedSink.yield(.failure(error))
                startedSink.finish()
                try? log.close()
                await self?.ended("could not start: \(error)")
            }
        }
        // Read in a task of its own: a cancelled caller must not lose the pid of a program that runs.
        let first = await Task { () -> Result<pid_t, any Error>? in
            var iterator = started.makeAsyncIterator()
            return await iterator.next()
        }.value
        switch first {
        case .success(let newPID)?:
            pid = newPID
            running = true
            logger.debug("application \(client): started \(command.executable), pid \(newPID)")
        case .failure(let error)?: throw DriverError.cannotStart(name: command.name, reason: "\(error)")
        case nil: throw DriverError.cannotStart(name: command.name, reason: "it did not start")
        }
    }

    /// Sends a signal to the program (SIGSTOP and SIGCONT: an application hanging and coming back).
    public func signal(_ sig: Int32) {
        guard running, let pid else { return }
        Glibc.kill(pid, sig)
    }

    /// SIGKILLs the program: an application crashing.
    public func kill() {
        guard running, let pid else { return }
        killedOnPurpose = true
        Glibc.kill(pid, SIGKILL)
    }

    /// SIGTERM, then SIGKILL if it lingers past `grace`; waits for it to end.
    public func stop(grace: Duration = .seconds(2)) async {
        if running, let pid {
            killedOnPurpose = true
            Glibc.kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while running, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            if running { Glibc.kill(pid, SIGKILL) }
        }
        await process?.value
    }

    /// Waits up to `timeout` for the program to end; whether it did.
    public func waitForEnd(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while running, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        guard !running else { return false }
        await process?.value
        return true
    }

    /// The last lines the program wrote.
    public nonisolated func outputTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8), !text.isEmpty else { return "(no output)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private func ended(_ status: String) {
        running = false
        pid = nil
        logger.debug("application \(client): \(status)")
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: "exited",
                             text: killedOnPurpose ? "\(status), stopped by natsfault" : status))
    }
}

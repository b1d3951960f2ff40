public import NATSFaultTimeline
import Foundation
public import Logging
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One client driver process and the JSON-lines conversation with it.
///
/// Every line the driver prints becomes a timeline event of this client; acks complete the command
/// that asked for them. When the process ends, outstanding commands fail and an `exited` event is
/// recorded, so a crashing driver is a client failure the scenario can judge, never a harness hang.
public actor ClientDriver {
    public nonisolated let client: String
    private let command: DriverCommand
    private let stderrPath: String
    private let record: @Sendable (RecordedEvent) -> Void
    private let logger: Logger
    private var nextID = 1
    private var waiting: [Int: (op: String, continuation: CheckedContinuation<DriverAck, any Error>)] = [:]
    private var helloWaiter: CheckedContinuation<DriverHello, any Error>?
    private var commands: AsyncStream<[UInt8]>.Continuation?
    private var process: Task<Void, Never>?
    private var pid: pid_t?
    private var exited = false
    private var killedOnPurpose = false
    private var exitStatus: String?
    /// Counts starts, so that a timer set by one start does not act on a later one.
    private var generation = 0
    private let observe: (@Sendable (String, Int64) -> Void)?

    /// - Parameters:
    ///   - record: receives every event line the driver writes, as a timeline event.
    ///   - observe: receives every non-empty line exactly as written, with the time it arrived (the conformance check reads these).
    public init(client: String, command: DriverCommand, workDirectory: String, logger: Logger,
                record: @escaping @Sendable (RecordedEvent) -> Void, observe: (@Sendable (String, Int64) -> Void)? = nil) {
        self.logger = logger
        self.client = client
        self.command = command
        self.stderrPath = "\(workDirectory)/\(client).driver.log"
        self.record = record
        self.observe = observe
    }

    /// How a driver process ended.
    public struct End: Sendable, Hashable {
        /// Whether natsfault had to kill it (it did not exit by itself within the grace time).
        public var killed: Bool
        /// Its termination status as Subprocess reports it, e.g. `exited(0)`; nil if it could not be started.
        public var status: String?
    }

    /// Starts the driver and waits for its hello.
    ///
    /// - Throws: `DriverError` when it cannot start, does not greet within `timeout`, or speaks another protocol.
    ///
    /// A driver whose process has ended (killed, crashed, exited) can be started again: a client restarting.
    public func start(timeout: Duration = .seconds(10)) async throws -> DriverHello {
        if process != nil {
            guard exited else { throw DriverError.cannotStart(name: command.name, reason: "it is still running") }
            await process?.value
            (exited, killedOnPurpose, exitStatus, pid) = (false, false, nil, nil)
        }
        let log: FileDescriptor
        do {
            // A restarted driver's stderr goes after its previous life's.
            let options: FileDescriptor.OpenOptions = process == nil ? [.create, .truncate] : [.create, .append]
            log = try FileDescriptor.open(FilePath(stderrPath), .writeOnly, options: options, permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw DriverError.cannotStart(name: command.name, reason: "cannot write \(stderrPath): \(error)")
        }
        let (stream, sink) = AsyncStream.makeStream(of: [UInt8].self)
        commands = sink
        let command = self.command
        var options = PlatformOptions()
        options.teardownSequence = [.send(signal: .kill, allowedDurationToNextStep: .milliseconds(100))]
        process = Task { [weak self] in
            do {
                let outcome = try await Subprocess.run(
                    .path(FilePath(command.executable)), arguments: .init(command.arguments), platformOptions: options,
                    input: .inputWriter, output: .sequence, error: .fileDescriptor(log, closeAfterSpawningProcess: true)
                ) { execution in
                    await self?.started(pid: execution.processIdentifier.value)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            // Lines are split here and handed over a read at a time: one hop onto the actor per read,
                            // not per line, is what lets a flooding driver's events in at full speed.
                            var lines = LineAssembler()
                            for try await chunk in execution.standardOutput {
                                guard let complete = chunk.withUnsafeBytes({ lines.add($0) }) else { continue }
                                await self?.received(DriverLine.split(complete))
                            }
                            if let last = lines.finish() { await self?.received(DriverLine.split(last)) }
                            // stdout closed: the driver is gone, so stop waiting for commands to send it.
                            await self?.stopSending()
                        }
                        for await bytes in stream {
                            _ = try? await execution.standardInputWriter.write(bytes)
                        }
                        try? await execution.standardInputWriter.finish()
                        try await group.waitForAll()
                    }
                }
                await self?.ended(reason: nil, status: "\(outcome.terminationStatus)")
            } catch {
                await self?.ended(reason: "\(error)")
            }
        }
        generation += 1
        let generation = self.generation
        return try await withCheckedThrowingContinuation { continuation in
            helloWaiter = continuation
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.helloTimedOut(generation: generation)
            }
        }
    }

    /// Sends a command and waits for its ack.
    ///
    /// - Throws: `DriverError.stoppedAnswering` if the driver exits first or gives no ack within `timeout`.
    public func send(_ op: String, _ fields: [String: JSONValue] = [:], timeout: Duration = .seconds(30)) async throws -> DriverAck {
        let id = nextID
        nextID += 1
        var message = fields
        message["id"] = .int(id)
        message["op"] = .string(op)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var line = Array((try? encoder.encode(message)) ?? Data())
        line.append(UInt8(ascii: "\n"))
        guard !exited, let commands else { throw DriverError.stoppedAnswering(client: client, op: op, stderrTail: stderrTail()) }
        logger.debug("client \(client) ← \(String(decoding: line.dropLast(), as: UTF8.self))")
        return try await withCheckedThrowingContinuation { continuation in
            waiting[id] = (op, continuation)
            commands.yield(line)
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.ackTimedOut(id)
            }
        }
    }

    /// Sends a signal to the driver process (SIGSTOP and SIGCONT: a client hanging and coming back).
    public func signal(_ sig: Int32) {
        guard let pid, !exited else { return }
        Glibc.kill(pid, sig)
    }

    /// SIGKILLs the driver process: a client crash fault.
    public func kill() {
        guard let pid, !exited else { return }
        killedOnPurpose = true
        Glibc.kill(pid, SIGKILL)
    }

    /// Asks the driver to exit (closing its stdin), then kills it if it lingers, and waits for it.
    @discardableResult
    public func shutdown(grace: Duration = .seconds(2)) async -> End {
        commands?.finish()
        commands = nil
        let deadline = ContinuousClock.now + grace
        while !exited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        if !exited, let pid { killedOnPurpose = true; Glibc.kill(pid, SIGKILL) }
        await process?.value
        return End(killed: killedOnPurpose, status: exitStatus)
    }

    /// Waits up to `timeout` for the driver to end by itself (after an `exit` command, say); nil if it is still running.
    public func waitForEnd(timeout: Duration) async -> End? {
        let deadline = ContinuousClock.now + timeout
        while !exited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        guard exited else { return nil }
        await process?.value
        return End(killed: killedOnPurpose, status: exitStatus)
    }

    /// The last lines the driver wrote on stderr.
    public nonisolated func stderrTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: stderrPath, encoding: .utf8), !text.isEmpty else { return "(nothing on stderr)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: driver output

    private func started(pid: pid_t) { self.pid = pid }

    private func stopSending() {
        commands?.finish()
    }

    private func received(_ lines: [String]) {
        for line in lines { received(line) }
    }

    private func received(_ line: String) {
        observe?(line, MonotonicClock.nowNs())
        logger.trace("client \(client) → \(line)")
        guard let parsed = try? DriverLine.decoder.decode(DriverLine.self, from: Data(line.utf8)) else {
            record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: "log", text: "unparsable driver output: \(line.prefix(200))"))
            return
        }
        switch parsed.event {
        case "hello":
            let h = DriverHello(library: parsed.library ?? "?", libraryVersion: parsed.libraryVersion ?? "?", capabilities: parsed.capabilities ?? [])
            if let v = parsed.protocol, v != 1 {
                helloWaiter?.resume(throwing: DriverError.unsupportedProtocol(client: client, version: v))
            } else {
                helloWaiter?.resume(returning: h)
            }
            helloWaiter = nil
        case "ack":
            guard let id = parsed.id, let entry = waiting.removeValue(forKey: id) else { return }
            entry.continuation.resume(returning: DriverAck(ok: parsed.ok ?? false, pending: parsed.pending ?? false, error: parsed.error))
        default:
            record(parsed.recorded(client: client))
        }
    }

    private func ended(reason: String?, status: String? = nil) {
        guard !exited else { return }
        exited = true
        exitStatus = status
        logger.debug("client \(client): driver ended\(reason.map { ": \($0)" } ?? "")")
        commands?.finish()
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: "exited",
                             text: killedOnPurpose ? "killed by natsfault" : "driver process ended\(status.map { " (\($0))" } ?? "")\(reason.map { ": \($0)" } ?? "")"))
        let tail = stderrTail()
        helloWaiter?.resume(throwing: DriverError.noHello(client: client, stderrTail: tail))
        helloWaiter = nil
        for (_, entry) in waiting { entry.continuation.resume(throwing: DriverError.stoppedAnswering(client: client, op: entry.op, stderrTail: tail)) }
        waiting = [:]
    }

    private func helloTimedOut(generation: Int) {
        // The timer of an earlier start must not fail a restart's wait.
        guard generation == self.generation else { return }
        helloWaiter?.resume(throwing: DriverError.noHello(client: client, stderrTail: stderrTail()))
        helloWaiter = nil
    }

    private func ackTimedOut(_ id: Int) {
        guard let entry = waiting.removeValue(forKey: id) else { return }
        entry.continuation.resume(throwing: DriverError.stoppedAnswering(client: client, op: entry.op, stderrTail: stderrTail()))
    }
}

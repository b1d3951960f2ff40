public import NATSFaultTimeline
import Foundation
public import Logging
import NATSFaultProcess
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
    /// Every line the driver wrote, as written, and every command it was sent (`{"mono_ns": …, "sent": …}`): the
    /// conversation, kept with a failed run's artifacts.
    private let transcriptPath: String
    private var transcript: Int32?
    private let record: @Sendable (RecordedEvent) -> Void
    private let logger: Logger
    private var nextID = 1
    private var waiting: [Int: (op: String, ack: OneShot<Result<DriverAck, DriverError>>)] = [:]
    private var hello: OneShot<Result<DriverHello, DriverError>>?
    private var process: ChildProcess?
    /// How the current process ended, once it has.
    private var end: End?
    private var starts = 0
    /// When the driver last wrote a line: a driver that keeps talking is alive, however long an ack takes.
    private var lastHeardNs: Int64 = 0
    /// Lines taken from the driver in this run: past `OutputLimits.events`, it is stopped.
    private var linesTaken = 0
    /// Why natsfault stopped a driver that broke the output limits (a line too long, too many events); nil if it did not.
    public private(set) var broken: String?
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
        self.transcriptPath = "\(workDirectory)/\(client).transcript.jsonl"
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
        if let process {
            guard !process.isRunning else { throw DriverError.cannotStart(name: command.name, reason: "it is still running") }
            // Its `exited` event comes before anything of the next life.
            await process.exit()
        }
        starts += 1
        end = nil
        let hello = OneShot<Result<DriverHello, DriverError>>()
        self.hello = hello
        do {
            process = try await ChildProcess.start(
                command.executable, arguments: command.arguments, input: .pipe,
                // Lines are split where they are read and handed over a read at a time: one hop onto the actor per
                // read, not per line, is what lets a flooding driver's events in at full speed.
                output: .lines(copyTo: transcriptPath, truncate: starts == 1, overlong: { [weak self] limit in
                    await self?.stop(because: "its output has a line longer than \(OutputLimits.describe(bytes: limit)) (or no line end)")
                }) { [weak self] lines in await self?.received(DriverLine.split(lines)) },
                // A restarted driver's stderr goes after its previous life's.
                error: .file(stderrPath, truncate: starts == 1),
                onExit: { [weak self] exit in await self?.ended(exit) })
        } catch {
            switch error {
            case .cannotOpen(let path, let cause):
                throw DriverError.cannotStart(name: command.name, reason: "cannot write \(path): \(cause.text)")
            case .cannotStart(_, let cause):
                ended(reason: "\(cause)", status: nil, killed: false)
            }
        }
        guard let greeted = await hello.wait(timeout: timeout) else {
            throw DriverError.noHello(client: client, stderrTail: stderrTail())
        }
        return try greeted.get()
    }

    /// Sends a command and waits for its ack.
    ///
    /// - Parameter timeout: how long the driver may stay silent: every line it writes (an event of any kind) restarts it.
    /// - Throws: `DriverError.stoppedAnswering` if the driver exits first, writes nothing for `timeout` before the ack,
    ///   or the calling task is cancelled.
    public func send(_ op: DriverOp, timeout: Duration = .seconds(30)) async throws -> DriverAck {
        let (id, ack) = try dispatch(op)
        return try await answer(id: id, ack, op: op.name, silence: timeout, window: nil)!
    }

    /// Sends a command and waits for its ack for at most `window`; a driver still talking then is alive and busy (a
    /// connect it keeps retrying): nil, and the ack, if it ever comes, goes to `late`.
    ///
    /// - Throws: `DriverError.stoppedAnswering` as `send` does, for a driver that ends or stays silent for `silence`.
    public func send(_ op: DriverOp, window: Duration, silence: Duration,
                     late: @escaping @Sendable (Result<DriverAck, DriverError>) -> Void) async throws -> DriverAck? {
        let (id, ack) = try dispatch(op)
        guard let answer = try await answer(id: id, ack, op: op.name, silence: silence, window: window) else {
            Task { late(await ack.value()) }
            return nil
        }
        return answer
    }

    /// Writes a command; its ack will fulfil the returned one-shot.
    private func dispatch(_ op: DriverOp) throws -> (Int, OneShot<Result<DriverAck, DriverError>>) {
        let id = nextID
        nextID += 1
        let line = op.line(id: id)
        let ack = OneShot<Result<DriverAck, DriverError>>()
        waiting[id] = (op.name, ack)
        guard end == nil, let process, process.write(line) else {
            waiting[id] = nil
            throw DriverError.stoppedAnswering(client: client, op: op.name, stderrTail: stderrTail())
        }
        logger.debug("client \(client) ← \(String(decoding: line.dropLast(), as: UTF8.self))")
        writeTranscript(sent: line)
        return (id, ack)
    }

    /// The ack of command `id`, waited for while the driver keeps writing lines (each restarts `silence`), up to
    /// `window`: nil when the window ends with the driver still talking.
    private func answer(id: Int, _ ack: OneShot<Result<DriverAck, DriverError>>, op: String, silence: Duration, window: Duration?) async throws -> DriverAck? {
        let sent = MonotonicClock.nowNs()
        let windowEnd = window.map { sent + $0.nanoseconds }
        while true {
            let silentFrom = max(sent, lastHeardNs) + silence.nanoseconds
            let until = min(silentFrom, windowEnd ?? .max)
            if let answer = await ack.wait(timeout: .nanoseconds(max(0, until - MonotonicClock.nowNs()))) { return try answer.get() }
            let now = MonotonicClock.nowNs()
            if Task.isCancelled || now >= max(sent, lastHeardNs) + silence.nanoseconds {
                waiting[id] = nil
                throw DriverError.stoppedAnswering(client: client, op: op, stderrTail: stderrTail())
            }
            if let windowEnd, now >= windowEnd { return nil }
        }
    }

    /// Notes a command in the transcript, with the time it was sent, beside the lines the driver writes.
    ///
    /// Appended (O_APPEND) like the driver's own lines, so that neither writer overwrites the other; best effort: a
    /// transcript that cannot be written leaves the run as it is.
    private func writeTranscript(sent line: [UInt8]) {
        if transcript == nil { transcript = try? Syscall.call("open") { open(transcriptPath, O_WRONLY | O_APPEND | O_CLOEXEC) } }
        guard let transcript else { return }
        let entry = Array("{\"mono_ns\":\(MonotonicClock.nowNs()),\"sent\":".utf8) + line.dropLast() + Array("}\n".utf8)
        _ = entry.withUnsafeBytes { bytes in try? Syscall.call("write") { write(transcript, bytes.baseAddress, bytes.count) } }
    }

    /// Whether the driver process runs (a paused one does).
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Sends a signal to the driver process (SIGSTOP and SIGCONT pause and resume the client); nothing when it is not running.
    /// SIGSTOP returns once the process is stopped.
    public func signal(_ sig: Int32) async {
        if sig == SIGSTOP { await process?.stop() } else { process?.signal(sig) }
    }

    /// SIGKILLs the driver process: a client crash fault.
    public func kill() {
        guard end == nil else { return }
        process?.signal(SIGKILL)
    }

    /// Asks the driver to exit (closing its stdin), then kills it if it lingers past `grace`, and waits for it.
    @discardableResult
    public func shutdown(grace: Duration = .seconds(2)) async -> End {
        guard let process else { return End(killed: false, status: nil) }
        await process.terminate(.closeInput, grace: grace)
        return end ?? End(killed: false, status: nil)
    }

    /// Waits up to `timeout` for the driver to end by itself (after an `exit` command, say); nil if it is still running.
    public func waitForEnd(timeout: Duration) async -> End? {
        guard let process else { return nil }
        guard await process.exit(within: timeout) != nil else { return nil }
        return end
    }

    /// The last lines the driver wrote on stderr.
    public nonisolated func stderrTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: stderrPath, encoding: .utf8), !text.isEmpty else { return "(nothing on stderr)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: driver output

    private func received(_ lines: [String]) {
        guard broken == nil else { return }
        linesTaken += lines.count
        if linesTaken > OutputLimits.events {
            stop(because: "it wrote more than \(OutputLimits.events) events in one run")
            return
        }
        for line in lines { received(line) }
    }

    /// Stops a driver that broke the output limits, saying why (in the timeline, and to every command waiting on it).
    private func stop(because reason: String) {
        guard broken == nil else { return }
        broken = "natsfault stopped the driver of client \(client): \(reason)"
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .outputLimit, text: broken))
        process?.signal(SIGKILL)
    }

    private func received(_ line: String) {
        lastHeardNs = MonotonicClock.nowNs()
        observe?(line, lastHeardNs)
        logger.trace("client \(client) → \(line)")
        guard let parsed = DriverLine.decode(line) else {
            record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .log, text: "unparsable driver output: \(line.prefix(200))"))
            return
        }
        switch parsed.event {
        case "hello":
            let h = parsed.hello!
            if let v = parsed.protocol, v != 1 {
                hello?.fulfil(.failure(DriverError.unsupportedProtocol(client: client, version: v)))
            } else {
                hello?.fulfil(.success(h))
            }
        case "ack":
            guard let id = parsed.id, let entry = waiting.removeValue(forKey: id) else { return }
            entry.ack.fulfil(.success(DriverAck(ok: parsed.ok ?? false, pending: parsed.pending ?? false, error: parsed.error)))
        default:
            record(parsed.recorded(client: client))
        }
    }

    private func ended(_ exit: ChildProcess.Exit) {
        switch exit.termination {
        case .exited, .signaled: ended(reason: nil, status: exit.description, killed: exit.killed)
        case .unobserved(let reason): ended(reason: reason, status: nil, killed: exit.killed)
        }
    }

    private func ended(reason: String?, status: String?, killed: Bool) {
        guard end == nil else { return }
        end = End(killed: killed, status: status)
        logger.debug("client \(client): driver ended\(reason.map { ": \($0)" } ?? "")")
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .exited,
                             text: killed ? "killed by natsfault" : "driver process ended\(status.map { " (\($0))" } ?? "")\(reason.map { ": \($0)" } ?? "")"))
        let tail = (broken.map { $0 + "\n" } ?? "") + stderrTail()
        hello?.fulfil(.failure(DriverError.noHello(client: client, stderrTail: tail)))
        for (_, entry) in waiting { entry.ack.fulfil(.failure(DriverError.stoppedAnswering(client: client, op: entry.op, stderrTail: tail))) }
        waiting = [:]
        if let transcript { close(transcript) }
        transcript = nil
    }
}

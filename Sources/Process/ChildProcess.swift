import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A process natsfault started: its pid, where its output goes, its end, and the one way it is torn down.
///
/// `start` returns once the process runs, with its pid, even when the calling task is cancelled meanwhile:
/// a pid lost there would leave a process that nothing can kill and an exit that nobody observes.
/// The exit is observed by the task that runs the process; it delivers the last output, calls `onExit`,
/// and only then resumes every task awaiting `exit()`, so nothing polls and an owner's exit bookkeeping is
/// done by the time a teardown returns. Dropping the last reference to a running child SIGKILLs it.
public final class ChildProcess: Sendable {
    /// What the process reads on standard input.
    public enum Input: Sendable {
        /// /dev/null.
        case none
        /// A pipe fed by `write(_:)` and closed by `closeInput()` (or when the process's output ends).
        case pipe
    }

    /// Where one of the process's output streams goes: a file, a callback taking whole lines, both, or nowhere.
    public struct Output: Sendable {
        let path: String?
        let truncate: Bool
        let lines: (@Sendable (ArraySlice<UInt8>) async -> Void)?
        var overlong: (@Sendable (Int) async -> Void)? = nil
        var lineLimit = LineAssembler.defaultLimit

        /// Read and dropped.
        public static let discard = Output(path: nil, truncate: false, lines: nil)

        /// Appended to the file at `path`, created if missing and emptied first when `truncate`.
        public static func file(_ path: String, truncate: Bool = false) -> Output {
            Output(path: path, truncate: truncate, lines: nil)
        }

        /// Handed to `deliver` a read at a time: one or more whole lines, each ending with a newline (a last line
        /// without one gets one), and also appended to the file at `copyTo` when given.
        ///
        /// The stream is not read while `deliver` runs, so a slow receiver slows the process down instead of
        /// piling its output up in memory. A line longer than `lineLimit` (or output that never ends one) is not
        /// delivered: `overlong` is told once, with the limit, and the rest of the stream is read and dropped.
        public static func lines(copyTo path: String? = nil, truncate: Bool = false, lineLimit: Int = LineAssembler.defaultLimit,
                                 overlong: (@Sendable (Int) async -> Void)? = nil,
                                 _ deliver: @escaping @Sendable (ArraySlice<UInt8>) async -> Void) -> Output {
            Output(path: path, truncate: truncate, lines: deliver, overlong: overlong, lineLimit: lineLimit)
        }
    }

    /// How a process ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        /// Watching the process failed after it started (the reason); it may still have ended normally.
        case unobserved(String)

        /// `exited(0)`, `signaled(9)`: the words swift-subprocess uses, which recorded events and reports carry.
        public var description: String {
            switch self {
            case .exited(let code): "exited(\(code))"
            case .signaled(let signal): "signaled(\(signal))"
            case .unobserved(let reason): reason
            }
        }
    }

    /// A process's end, and whether natsfault had to kill it.
    public struct Exit: Sendable, Hashable, CustomStringConvertible {
        public var termination: Termination
        /// Whether natsfault sent it SIGKILL (`signal(SIGKILL)`, or the last step of `terminate`).
        public var killed: Bool

        public var description: String { termination.description }
    }

    /// The first, polite step of a teardown.
    public enum PoliteStep: Sendable, Hashable {
        /// Close standard input: a program that reads commands from it exits at end of file.
        case closeInput
        /// Send this signal (then SIGCONT, so that a stopped process can act on it).
        case signal(Int32)
    }

    public let pid: pid_t
    public let executable: String
    private let life: Life
    private let input: AsyncStream<[UInt8]>.Continuation

    private init(pid: pid_t, executable: String, life: Life, input: AsyncStream<[UInt8]>.Continuation) {
        self.pid = pid
        self.executable = executable
        self.life = life
        self.input = input
    }

    deinit {
        // Nothing could observe or stop it any more: the guarantee swift-subprocess's closure scope gives.
        signal(SIGKILL)
    }

    /// Starts the program at the path `executable` and returns once it runs.
    ///
    /// - Parameters:
    ///   - environment: variables set on top of natsfault's own environment.
    ///   - ownProcessGroup: start it as the leader of a process group of its own (which it can then take down whole).
    ///   - onExit: called once the process has ended and all its output was delivered, before `exit()` returns.
    /// - Throws: `ChildProcessError` when an output file cannot be opened or the process cannot be started;
    ///   `onExit` is not called then.
    public static func start(_ executable: String, arguments: [String] = [], environment: [String: String] = [:],
                             input: Input = .none, output: Output = .discard, error: Output = .discard, ownProcessGroup: Bool = false,
                             onExit: (@Sendable (Exit) async -> Void)? = nil) async throws(ChildProcessError) -> ChildProcess {
        let files = try OpenFiles(output, error)
        let life = Life()
        let (stdin, stdinSink) = AsyncStream.makeStream(of: [UInt8].self)
        if case .none = input { stdinSink.finish() }
        let sinks = (Sink(output, files), Sink(error, files))
        let launch = Launch(executable: executable, arguments: arguments, environment: environment, input: input, ownProcessGroup: ownProcessGroup)
        // Not cancellable on purpose: the task that runs the process resumes it with the pid or the reason it did not
        // start, whatever happens to the caller meanwhile. (Reading the pid from an AsyncStream lost it once: `next()`
        // returns nil at once in a cancelled task, and the server it named ran on with nothing left to kill it.)
        let started = await withCheckedContinuation { (continuation: CheckedContinuation<Result<pid_t, ChildProcessError>, Never>) in
            let handoff = Handoff(continuation)
            // The one task that owns a process's life: it outlives `start` by design (the process runs on after
            // it returns), and its result reaches the owner through `onExit` and `exit()`.
            Task {
                let termination: Termination
                do {
                    let status = try await launch.run(sinks: sinks, stdin: stdin, stdinSink: stdinSink) { handoff.resume(.success($0)) }
                    switch status {
                    case .exited(let code): termination = .exited(code)
                    case .signaled(let signal): termination = .signaled(signal)
                    }
                } catch {
                    stdinSink.finish()
                    if handoff.resume(.failure(.cannotStart(executable: executable, cause: error))) {
                        files.close()
                        return
                    }
                    termination = .unobserved("\(error)")
                }
                files.close()
                let exit = Exit(termination: termination, killed: life.reaped())
                await onExit?(exit)
                life.exit.fulfil(exit)
            }
        }
        switch started {
        case .success(let pid): return ChildProcess(pid: pid, executable: executable, life: life, input: stdinSink)
        case .failure(let error): throw error
        }
    }

    /// Whether the process has not ended yet.
    public var isRunning: Bool { life.isRunning }

    /// How it ended, once `onExit` is done; nil before.
    public var ended: Exit? { life.exit.current }

    /// Sends `signal` to the process; false when it has ended (its pid may belong to another process by now).
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        life.signal(pid, signal)
    }

    /// Sends SIGSTOP and returns once every thread of the process is stopped, or after `timeout`; whether it saw them
    /// stopped (or the process end).
    ///
    /// kill(2) returns before the process stops: the kernel hands SIGSTOP to one thread, which stops the others only
    /// once it is scheduled, and on a loaded machine the threads already running go on for milliseconds (a paused
    /// nats.go service answered a request sent 2 ms after the signal). A pause step ends only once nothing runs.
    /// For a child of this process the kernel says so itself: waitid(2) reports it stopped when the last of its
    /// threads has stopped. For another process, /proc is read until every thread shows stopped.
    @discardableResult
    public func stop(timeout: Duration = .seconds(1)) async -> Bool {
        guard signal(SIGSTOP) else { return false }
        switch await Self.groupStop(of: pid, within: timeout) {
        case .stopped, .ended: return true
        case .timedOut: return false
        case .notAChild: break
        }
        let deadline = ContinuousClock.now + timeout
        while !Self.allThreadsStopped(pid) {
            guard ContinuousClock.now < deadline, isRunning else { return !isRunning }
            try? await Task.sleep(for: .microseconds(100))
        }
        return true
    }

    enum GroupStop: Sendable { case stopped, ended, timedOut, notAChild }

    /// Waits, on a thread of its own, for the kernel to report the child `pid` stopped (all its threads) or ended,
    /// without collecting that report (WNOWAIT): the exit stays for the task that observes it.
    static func groupStop(of pid: pid_t, within timeout: Duration) async -> GroupStop {
        let answer = Mutex<CheckedContinuation<GroupStop, Never>?>(nil)
        let resume: @Sendable (GroupStop) -> Void = { value in answer.withLock { $0.take() }?.resume(returning: value) }
        return await withCheckedContinuation { continuation in
            answer.withLock { $0 = continuation }
            Thread.detachNewThread {
                var info = siginfo_t()
                while waitid(P_PID, id_t(pid), &info, WSTOPPED | WEXITED | WNOWAIT) != 0 {
                    guard errno == EINTR else { return resume(.notAChild) }
                }
                resume(info.si_code == CLD_STOPPED ? .stopped : .ended)
            }
            Task {
                try? await Task.sleep(for: timeout)
                resume(.timedOut)
            }
        }
    }

    /// Whether every thread of `pid` is stopped (state T or t in /proc), or it is gone.
    public static func allThreadsStopped(_ pid: pid_t) -> Bool {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return true }
        for thread in threads {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .ascii) else { continue }
            // The state follows the command name, which is in parentheses and may hold anything.
            guard let close = stat.lastIndex(of: ")"), let state = stat[stat.index(after: close)...].first(where: { $0 != " " }) else { return false }
            if !"TtZX".contains(state) { return false }
        }
        return true
    }

    /// Queues `bytes` for the process's standard input; false when the input is closed or was never a pipe.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        if case .enqueued = input.yield(bytes) { return true }
        return false
    }

    /// Closes the process's standard input once what was queued is written.
    public func closeInput() {
        input.finish()
    }

    /// The process's end, however long it takes, even in a cancelled task.
    @discardableResult
    public func exit() async -> Exit {
        await life.exit.value()
    }

    /// The process's end if it comes within `timeout`; nil otherwise, or when the calling task is cancelled.
    public func exit(within timeout: Duration) async -> Exit? {
        await life.exit.wait(timeout: timeout)
    }

    /// Stops the process the one way natsfault stops processes: `polite`, then up to `grace` for it to end,
    /// then SIGKILL; returns once it has ended.
    ///
    /// A cancelled caller skips the grace time, never the end: the process is gone when this returns.
    @discardableResult
    public func terminate(_ polite: PoliteStep = .signal(SIGTERM), grace: Duration) async -> Exit {
        switch polite {
        case .closeInput: closeInput()
        case .signal(let sig):
            signal(sig)
            signal(SIGCONT)
        }
        if let exit = await exit(within: grace) { return exit }
        signal(SIGKILL)
        return await exit()
    }
}

extension ChildProcess {
    /// Runs a program to its end; returns what it wrote on standard output, and how it ended.
    public static func output(of executable: String, arguments: [String] = []) async throws(ChildProcessError) -> (text: String, exit: Exit) {
        let output = Mutex<[UInt8]>([])
        let process = try await start(executable, arguments: arguments, output: .lines { lines in output.withLock { $0 += lines } })
        let exit = await process.exit()
        return (String(decoding: output.withLock { $0 }, as: UTF8.self), exit)
    }

    /// The program `name` in the folders of `PATH` (then the usual system folders); a name with a slash is a path
    /// already and comes back as it is. Nil when there is none.
    public static func find(_ name: String) -> String? {
        guard !name.contains("/") else { return name }
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/bin:/usr/sbin:/sbin"
        return folders.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Why a child process could not be started.
public enum ChildProcessError: Error, CustomStringConvertible {
    /// A file its output was to go to could not be opened.
    case cannotOpen(path: String, cause: SystemCallError)
    /// The process could not be started (no such executable, not executable, …); `cause` is swift-subprocess's error.
    case cannotStart(executable: String, cause: any Error)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let cause): "cannot write \(path): \(cause.text)"
        case .cannotStart(let executable, let cause): "cannot start \(executable): \(cause)"
        }
    }
}

// MARK: the process's life

extension ChildProcess {
    /// What the running task and the `ChildProcess` share: whether the process was reaped, whether natsfault
    /// killed it, and its end.
    fileprivate final class Life: Sendable {
        private struct State {
            var reaped = false
            var killed = false
        }

        private let state = Mutex(State())
        let exit = OneShot<Exit>()

        var isRunning: Bool { state.withLock { !$0.reaped } }

        func signal(_ pid: pid_t, _ signal: Int32) -> Bool {
            state.withLock { state in
                guard !state.reaped else { return false }
                if signal == SIGKILL { state.killed = true }
                return Glibc.kill(pid, signal) == 0
            }
        }

        /// Marks the process as gone; whether natsfault had killed it.
        func reaped() -> Bool {
            state.withLock { state in
                state.reaped = true
                return state.killed
            }
        }
    }

    /// Resumes `start` once, with the pid or with the reason there is none.
    fileprivate final class Handoff: Sendable {
        private let continuation: Mutex<CheckedContinuation<Result<pid_t, ChildProcessError>, Never>?>

        init(_ continuation: CheckedContinuation<Result<pid_t, ChildProcessError>, Never>) {
            self.continuation = Mutex(continuation)
        }

        /// Whether this was the first call (the one that resumed `start`).
        @discardableResult
        func resume(_ result: Result<pid_t, ChildProcessError>) -> Bool {
            guard let continuation = continuation.withLock({ $0.take() }) else { return false }
            continuation.resume(returning: result)
            return true
        }
    }

    /// The output files of one process, each opened once even when stdout and stderr share it.
    fileprivate final class OpenFiles: Sendable {
        let descriptors: [String: Int32]

        init(_ outputs: Output...) throws(ChildProcessError) {
            var descriptors: [String: Int32] = [:]
            for output in outputs {
                guard let path = output.path, descriptors[path] == nil else { continue }
                do {
                    // Close-on-exec: the process gets a pipe, and no other child should hold the log open.
                    let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (output.truncate ? O_TRUNC : 0)
                    descriptors[path] = try Syscall.call("open") { open(path, flags, 0o644) }
                } catch {
                    for fd in descriptors.values { Glibc.close(fd) }
                    throw .cannotOpen(path: path, cause: error)
                }
            }
            self.descriptors = descriptors
        }

        func close() {
            for fd in descriptors.values { Glibc.close(fd) }
        }
    }

    /// One output stream's destination.
    fileprivate struct Sink: Sendable {
        let fd: Int32?
        let deliver: (@Sendable (ArraySlice<UInt8>) async -> Void)?
        let overlong: (@Sendable (Int) async -> Void)?
        let lineLimit: Int

        init(_ output: Output, _ files: OpenFiles) {
            fd = output.path.flatMap { files.descriptors[$0] }
            deliver = output.lines
            overlong = output.overlong
            lineLimit = output.lineLimit
        }

        /// Reads `stream` to its end.
        func drain(_ stream: SubprocessOutputSequence) async {
            guard let deliver else {
                // A file alone needs no lines: every chunk goes as it came.
                do {
                    for try await chunk in stream { chunk.withUnsafeBytes { append($0) } }
                } catch {}
                return
            }
            var lines = LineAssembler(limit: lineLimit)
            do {
                for try await chunk in stream {
                    if lines.overlong { continue }  // read and dropped, so that the writer never blocks
                    guard let complete = chunk.withUnsafeBytes({ lines.add($0) }) else {
                        if lines.overlong { await overlong?(lines.limit) }
                        continue
                    }
                    complete.withUnsafeBytes { append($0) }
                    await deliver(complete)
                }
            } catch {}
            if var last = lines.finish() {
                last.append(UInt8(ascii: "\n"))
                last.withUnsafeBytes { append($0) }
                await deliver(last)
            }
        }

        private func append(_ bytes: UnsafeRawBufferPointer) {
            guard let fd, var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                guard let written = try? Syscall.call("write", { Glibc.write(fd, next, left) }), written > 0 else { return }
                next += written
                left -= written
            }
        }
    }

    /// What to run, and the code that runs it under swift-subprocess.
    fileprivate struct Launch: Sendable {
        let executable: String
        let arguments: [String]
        let environment: [String: String]
        let input: Input
        let ownProcessGroup: Bool

        /// Runs the process until it has ended and its output is read; `started` gets the pid as soon as it runs.
        func run(sinks: (Sink, Sink), stdin: AsyncStream<[UInt8]>, stdinSink: AsyncStream<[UInt8]>.Continuation,
                 started: @escaping @Sendable (pid_t) -> Void) async throws -> TerminationStatus {
            let overrides = Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, Optional($0.value)) })
            var options = PlatformOptions()
            // Used only if the body throws, which it does not: `terminate` is the teardown.
            options.teardownSequence = [.send(signal: .kill, allowedDurationToNextStep: .milliseconds(100))]
            if ownProcessGroup { options.processGroupID = 0 }
            let configuration = Configuration(executable: .path(FilePath(executable)), arguments: .init(arguments),
                                              environment: .inherit.updating(overrides), platformOptions: options)
            switch input {
            case .none:
                return try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) { execution in
                    started(execution.processIdentifier.value)
                    await Self.drain(execution.standardOutput, execution.standardError, into: sinks)
                }.terminationStatus
            case .pipe:
                return try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
                    started(execution.processIdentifier.value)
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            await Self.drain(execution.standardOutput, execution.standardError, into: sinks)
                            // Its output closed: the process is gone, so stop waiting for input to write it.
                            stdinSink.finish()
                        }
                        for await bytes in stdin {
                            _ = try? await execution.standardInputWriter.write(bytes)
                        }
                        try? await execution.standardInputWriter.finish()
                    }
                }.terminationStatus
            }
        }

        /// Reads stdout and stderr side by side, each to its end.
        private static func drain(_ output: SubprocessOutputSequence, _ error: SubprocessOutputSequence, into sinks: (Sink, Sink)) async {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await sinks.0.drain(output) }
                await sinks.1.drain(error)
            }
        }
    }
}

public import NATSFaultScenario
public import NATSFaultTimeline
import Foundation
public import Logging
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One nats-server of a scenario across its whole life: every start, signal and exit.
///
/// Each start spawns a process whose exit is awaited by a task the actor owns; `shutdown()` kills
/// and awaits whatever is still running, so no server outlives the scenario that started it.
public actor ServerProcess {
    public nonisolated let spec: ServerSpec
    public nonisolated let binary: ServerBinary
    private var config: ServerConfig
    private let configPath: String
    private let logPath: String
    private let record: @Sendable (RecordedEvent) -> Void
    private let logger: Logger
    private var pid: pid_t?
    private var exit: Task<String, Never>?
    /// Set while the harness itself is stopping the server, so its exit is expected.
    private var stopping = false

    /// - Parameters:
    ///   - workDirectory: where the config file and log go.
    ///   - record: receives `server_ready` and `server_exited` events.
    private let routes: [String]

    /// - Parameter routes: the route URLs to the other members of the server's cluster.
    public init(spec: ServerSpec, binary: ServerBinary, workDirectory: String, routes: [String] = [], logger: Logger, record: @escaping @Sendable (RecordedEvent) -> Void) {
        self.routes = routes
        self.logger = logger
        self.spec = spec
        self.binary = binary
        self.config = spec.config
        self.configPath = "\(workDirectory)/\(spec.name).conf"
        self.logPath = "\(workDirectory)/\(spec.name).log"
        self.record = record
    }

    /// Writes the config, starts the process and returns once it accepts clients.
    ///
    /// - Throws: `SupervisorError` when it cannot start or does not become ready within `readyTimeout`.
    public func start(readyTimeout: Duration = .seconds(15)) async throws {
        guard pid == nil else { return }
        try writeConfig()
        let log: FileDescriptor
        do {
            log = try FileDescriptor.open(FilePath(logPath), .writeOnly, options: [.create, .append], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw SupervisorError.cannotWrite(path: logPath, reason: "\(error)")
        }
        let (pids, pidSink) = AsyncStream.makeStream(of: pid_t.self)
        let path = binary.path, args = ["-c", configPath]
        var options = PlatformOptions()
        options.teardownSequence = [.send(signal: .kill, allowedDurationToNextStep: .milliseconds(100))]
        let name = spec.name
        exit = Task {
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(path)), arguments: .init(args), platformOptions: options,
                    input: .none, output: .fileDescriptor(log, closeAfterSpawningProcess: false),
                    error: .fileDescriptor(log, closeAfterSpawningProcess: false)
                ) { execution in
                    pidSink.yield(execution.processIdentifier.value)
                    pidSink.finish()
                }
                try? log.close()
                return "\(result.terminationStatus)"
            } catch {
                pidSink.finish()
                try? log.close()
                return "could not start \(name): \(error)"
            }
        }
        let launchedNs = MonotonicClock.nowNs()
        // The pid is read in a task of its own: `AsyncStream.next()` returns nil once the calling task is
        // cancelled (a sibling start failed), and losing the pid of a running server would leave nothing
        // to kill it and `exit` never ending.
        let handoff = Task { () -> pid_t? in
            var iterator = pids.makeAsyncIterator()
            return await iterator.next()
        }
        guard let newPID = await handoff.value else {
            let status = await exit!.value
            exit = nil
            throw SupervisorError.cannotStart(server: spec.name, reason: status)
        }
        pid = newPID
        stopping = false
        logger.debug("server \(spec.name): started \(binary.path) -c \(configPath), pid \(newPID)")
        watchExit()
        try await waitUntilReady(timeout: readyTimeout)
        logger.debug("server \(spec.name): accepting clients on \(spec.url)")
        var ready = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: spec.name, event: "server_ready", text: "pid \(newPID), nats-server \(binary.version)")
        ready.latencyNs = ready.monoNs - launchedNs  // launch → greeting clients
        record(ready)
    }

    /// Records the exit of the current process when it happens, marking unexpected ones.
    private func watchExit() {
        guard let exit else { return }
        Task { [weak self] in
            let status = await exit.value
            await self?.exited(status: status, task: exit)
        }
    }

    private func exited(status: String, task: Task<String, Never>) {
        guard self.exit == task else { return }
        let expected = stopping
        pid = nil
        exit = nil
        logger.debug("server \(spec.name): \(status)\(expected ? "" : ", unexpected")")
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: spec.name, event: "server_exited",
                             text: "\(status)\(expected ? "" : ", unexpected")"))
    }

    /// Sends a signal to the running process; does nothing when it is not running.
    public func signal(_ signal: Int32) {
        guard let pid else { return }
        logger.debug("server \(spec.name): signal \(signal) to pid \(pid)")
        // Lame duck ends with the server exiting by itself once its clients are gone.
        if [SIGTERM, SIGKILL, SIGINT, SIGUSR2].contains(signal) { stopping = true }
        Glibc.kill(pid, signal)
    }

    /// Stops the process with `signal` and waits until it has exited; returns its exit status.
    ///
    /// A paused process is resumed after the signal so that SIGTERM can take effect.
    @discardableResult
    public func stop(signal sig: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> String? {
        guard let pid, let exit else { return nil }
        stopping = true
        Glibc.kill(pid, sig)
        Glibc.kill(pid, SIGCONT)
        let exitedInTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await exit.value; return true }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exitedInTime { Glibc.kill(pid, SIGKILL) }
        let status = await exit.value
        exited(status: status, task: exit)
        return status
    }

    /// Changes the configuration and asks the server to reload it (SIGHUP).
    public func reload(_ change: ServerConfigChange) throws {
        config = ServerConfigFile.applying(change, to: config)
        try writeConfig()
        signal(SIGHUP)
    }

    /// Kills whatever is still running and waits for it.
    public func shutdown() async {
        await stop(signal: SIGKILL, timeout: .seconds(5))
    }

    /// The last `lines` lines of the server's log.
    public func logTail(lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private func writeConfig() throws {
        do {
            try ServerConfigFile.render(spec, config: config, routes: routes).write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw SupervisorError.cannotWrite(path: configPath, reason: "\(error)")
        }
    }

    /// Polls the client port until the server greets with its INFO line.
    private func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if pid == nil {
                throw SupervisorError.exitedBeforeReady(server: spec.name, status: "see log", logTail: logTail())
            }
            if ServerProbe.greetsWithINFO(host: spec.host, port: spec.port) { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw SupervisorError.notReady(server: spec.name, waited: timeout, logTail: logTail())
    }
}

/// A single TCP probe of a NATS client port.
enum ServerProbe {
    /// Connects, reads the first bytes and says whether they start with `INFO `.
    static func greetsWithINFO(host: String, port: Int) -> Bool {
        guard case .success(let fd) = LoopbackSocket.connect(host: host, port: port, timeout: .milliseconds(500)) else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 5)
        let n = recv(fd, &buffer, 5, Int32(MSG_WAITALL))
        return n == 5 && buffer == Array("INFO ".utf8)
    }
}

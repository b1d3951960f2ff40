public import NATSFaultCredentials
public import NATSFaultScenario
public import NATSFaultTimeline
import Foundation
public import Logging
import NATSFaultProcess
#if canImport(Glibc)
import Glibc
#endif

/// One nats-server of a scenario across its whole life: every start, signal and exit.
///
/// Each start spawns a `ChildProcess` whose end is recorded as `server_exited`; `shutdown()` kills
/// and awaits whatever is still running, so no server outlives the scenario that started it.
public actor ServerProcess {
    public nonisolated let spec: ServerSpec
    /// The nats-server it runs; `use(_:)` changes it for the next start (an upgrade or a downgrade).
    public private(set) var binary: ServerBinary
    private var config: ServerConfig
    private let configPath: String
    private let logPath: String
    /// Where its JetStream store is (used only when JetStream is on).
    private let storeDirectory: String
    private let record: @Sendable (RecordedEvent) -> Void
    private let logger: Logger
    private var process: ChildProcess?
    /// Set while the harness itself is stopping the server, so its exit is expected.
    private var stopping = false

    /// - Parameters:
    ///   - workDirectory: where the config file and log go.
    ///   - record: receives `server_ready` and `server_exited` events.
    private let routes: [String]
    /// The operator the server trusts, in operator mode.
    private let trust: OperatorTrust?

    /// - Parameters:
    ///   - routes: the route URLs to the other members of the server's cluster.
    ///   - trust: in operator mode, the operator and accounts the server trusts (a memory resolver preloaded with them).
    public init(spec: ServerSpec, binary: ServerBinary, workDirectory: String, routes: [String] = [], trust: OperatorTrust? = nil, logger: Logger,
                record: @escaping @Sendable (RecordedEvent) -> Void) {
        self.routes = routes
        self.trust = trust
        self.logger = logger
        self.spec = spec
        self.binary = binary
        self.config = spec.config
        self.configPath = "\(workDirectory)/\(spec.name).conf"
        self.logPath = "\(workDirectory)/\(spec.name).log"
        self.storeDirectory = JetStreamConfig.storeDirectory(server: spec.name, in: workDirectory)
        self.record = record
    }

    /// Writes the config, starts the process and returns once it accepts clients.
    ///
    /// - Throws: `SupervisorError` when it cannot start or does not become ready within `readyTimeout`.
    ///
    /// A cancelled start still knows the process it launched (`ChildProcess.start` hands the pid over whatever
    /// happens to the caller), so `shutdown()` can always stop it.
    public func start(readyTimeout: Duration = .seconds(15)) async throws {
        if let process {
            guard !process.isRunning else { return }
            // Its `server_exited` event comes before anything of the next life.
            await process.exit()
        }
        try writeConfig()
        stopping = false
        let launchedNs = MonotonicClock.nowNs()
        let name = spec.name
        let started: ChildProcess
        do {
            started = try await ChildProcess.start(binary.path, arguments: ["-c", configPath], output: .file(logPath), error: .file(logPath),
                                                   onExit: { [weak self] exit in await self?.exited(exit) })
        } catch {
            switch error {
            case .cannotOpen(let path, let cause): throw SupervisorError.cannotWrite(path: path, reason: cause.text)
            case .cannotStart(_, let cause): throw SupervisorError.cannotStart(server: name, reason: "could not start \(name): \(cause)")
            }
        }
        process = started
        logger.debug("server \(spec.name): started \(binary.path) -c \(configPath), pid \(started.pid)")
        try await waitUntilReady(timeout: readyTimeout)
        logger.debug("server \(spec.name): accepting clients on \(spec.url)")
        var ready = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: spec.name, event: .serverReady, text: "pid \(started.pid), nats-server \(binary.version)")
        ready.latencyNs = ready.monoNs - launchedNs  // launch → greeting clients
        record(ready)
    }

    /// Runs `binary` from the next start on, keeping the server's name, address, cluster, configuration and files.
    public func use(_ binary: ServerBinary) {
        self.binary = binary
    }

    /// Records the end of the process, marking one the harness did not cause.
    private func exited(_ exit: ChildProcess.Exit) {
        let expected = stopping
        let status: String
        switch exit.termination {
        case .exited, .signaled: status = exit.description
        case .unobserved(let reason): status = "could not start \(spec.name): \(reason)"
        }
        logger.debug("server \(spec.name): \(status)\(expected ? "" : ", unexpected")")
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: spec.name, event: .serverExited,
                             text: "\(status)\(expected ? "" : ", unexpected")"))
    }

    /// Sends a signal to the running process; does nothing when it is not running.
    /// SIGSTOP returns once the process is stopped.
    public func signal(_ signal: Int32) async {
        guard let process, process.isRunning else { return }
        logger.debug("server \(spec.name): signal \(signal) to pid \(process.pid)")
        // Lame duck ends with the server exiting by itself once its clients are gone.
        if [SIGTERM, SIGKILL, SIGINT, SIGUSR2].contains(signal) { stopping = true }
        if signal == SIGSTOP { await process.stop() } else { process.signal(signal) }
    }

    /// Stops the process with `signal` and waits until it has exited; returns its exit status.
    ///
    /// A paused process is resumed after the signal so that SIGTERM can take effect; one still running after
    /// `timeout` is killed.
    @discardableResult
    public func stop(signal sig: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> String? {
        guard let process, process.isRunning else { return nil }
        stopping = true
        return "\(await process.terminate(.signal(sig), grace: timeout))"
    }

    /// Changes the configuration and asks the server to reload it (SIGHUP).
    public func reload(_ change: ServerConfigChange) throws {
        config = ServerConfigFile.applying(change, to: config)
        try writeConfig()
        process?.signal(SIGHUP)
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
            try ServerConfigFile.render(spec, config: config, routes: routes, trust: trust, storeDirectory: storeDirectory).write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw SupervisorError.cannotWrite(path: configPath, reason: FileProblem.describe(error))
        }
    }

    /// Polls the client port until the server greets with its INFO line.
    private func waitUntilReady(timeout: Duration) async throws {
        let begun = ContinuousClock.now, deadline = begun + timeout
        while ContinuousClock.now < deadline {
            if process?.isRunning != true {
                throw SupervisorError.exitedBeforeReady(server: spec.name, status: "see log", logTail: logTail())
            }
            if ServerProbe.greetsWithINFO(host: spec.host, port: spec.port) { return }
            // A nats-server greets 5–10 ms after its start: probed every 250 µs until then, so that a restart is not
            // up to a millisecond later than the server; every millisecond after that.
            try await Task.sleep(for: ContinuousClock.now - begun < .milliseconds(30) ? .microseconds(250) : .milliseconds(1))
        }
        throw SupervisorError.notReady(server: spec.name, waited: timeout, logTail: logTail())
    }
}

/// A single TCP probe of a NATS client port.
enum ServerProbe {
    /// Connects, reads the first bytes and says whether they start with `INFO `.
    static func greetsWithINFO(host: String, port: Int) -> Bool {
        guard let fd = try? LoopbackSocket.connect(host: host, port: port, timeout: .milliseconds(500)) else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 5)
        let n = recv(fd, &buffer, 5, Int32(MSG_WAITALL))
        return n == 5 && buffer == Array("INFO ".utf8)
    }
}

import NATSFaultDrivers
import NATSFaultFirewall
import NATSFaultProxy
import NATSFaultScenario
import NATSFaultSupervisor
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The player is the run's `FaultContext`: what faults ask for, in the scenario's names, done with the run's
/// servers, client processes, proxy links and firewall.
extension TimelinePlayer: FaultContext {
    func startServer(_ name: String, version: String?) async throws {
        guard let server = servers[name] else { return }
        if let version { await server.use(try ServerBinary.select(from: installedServers, versionPrefix: version, current: await server.binary.version)) }
        try await server.start()
        // The proxy's links to a server listen exactly while it runs.
        try await proxy?.setServer(name, running: true)
    }

    func stopServer(_ name: String, with signal: ProcessSignal) async throws {
        await servers[name]?.stop(signal: signal.number)
        try await proxy?.setServer(name, running: false)
    }

    func signalServer(_ name: String, _ signal: ProcessSignal) async throws {
        await servers[name]?.signal(signal.number)
    }

    func reloadServer(_ name: String, _ change: ServerConfigChange) async throws {
        try await servers[name]?.reload(change)
    }

    func rotateCredentials(_ user: String, expiry: CredentialExpiry?) async throws {
        guard let credentials else { throw ScenarioRunError.setupFailed("rotate_credentials needs operator mode (the scenario's accounts)") }
        try credentials.write(user, expiry: expiry)
    }

    func signalClient(_ name: String, _ signal: ProcessSignal) async throws {
        if let app = apps[name] {
            if signal == .kill { await app.kill() } else { await app.signal(signal.number) }
        } else if let driver = drivers[name] {
            if signal == .kill { await driver.kill() } else { await driver.signal(signal.number) }
        }
    }

    func restartClient(_ name: String) async throws {
        if let app = apps[name] {
            await app.kill()
            guard await app.waitForEnd(timeout: .seconds(5)) else { throw ScenarioRunError.setupFailed("application \(name) did not end within 5 s of SIGKILL") }
            try await app.start()
            return
        }
        guard let driver = drivers[name], let client = scenario.client(named: name) else { return }
        await driver.kill()
        guard await driver.waitForEnd(timeout: .seconds(5)) != nil else { throw ScenarioRunError.setupFailed("the driver of client \(name) did not end within 5 s of SIGKILL") }
        _ = try await driver.start()
        // A restarted client's publishers run for the rest of the timeline on their own; none are declared today
        // for clients that restart, so they are awaited here rather than lost.
        try await withThrowingTaskGroup(of: Void.self) { operations in
            try await connect(client)
            try await operations.waitForAll()
        }
    }

    func addLinkFault(_ fault: any LinkFault, step: Int, client: String?, server: String?) async throws {
        try await proxy?.apply(fault, faultID: step, client: client, server: server)
    }

    func removeLinkFault(step: Int) async throws {
        try await proxy?.heal(faultID: step)
    }

    func addFirewallRules(_ rules: [FirewallRule]) async throws {
        guard sandboxed else {
            throw ScenarioRunError.setupFailed("firewall rules need the scenario's own network namespace, and namespaces are not available here; they would change the host's firewall")
        }
        try Firewall.add(rules)
    }

    func removeFirewallRules(_ rules: [FirewallRule]) async throws {
        try Firewall.remove(rules)
    }

    func wait(_ duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    func seed(forStep step: Int) -> UInt64 { Seeds.derive(seed, "step", String(step)) }
}

extension ProcessSignal {
    /// The signal's number on this system.
    var number: Int32 {
        switch self {
        case .term: SIGTERM
        case .kill: SIGKILL
        case .stop: SIGSTOP
        case .cont: SIGCONT
        case .usr2: SIGUSR2
        case .hup: SIGHUP
        }
    }
}

/// The lasting faults of a run still in effect, by timeline step: what `heal` steps and `for` timers heal.
final class ActiveFaults: Sendable {
    private let faults = Mutex<[Int: any Fault]>([:])

    /// The steps whose faults are in effect, in timeline order.
    var steps: [Int] { faults.withLock { $0.keys.sorted() } }

    func add(_ fault: any Fault, step: Int) { faults.withLock { $0[step] = fault } }

    /// Takes the fault of `step` out; nil if it was not in effect (healed already).
    func remove(step: Int) -> (any Fault)? { faults.withLock { $0.removeValue(forKey: step) } }

    /// Forgets the faults that `ended` says are over without a heal (a resume after a pause).
    func end(where ended: (any Fault) -> Bool) { faults.withLock { all in all = all.filter { !ended($0.value) } } }
}

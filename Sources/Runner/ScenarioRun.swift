import Foundation
import Logging
import NATSFaultDrivers
import NATSFaultProxy
import NATSFaultScenario
public import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What one run of one scenario uses: the client driver, the server binary and a folder for its files.
public struct RunTarget: Sendable, Codable {
    /// The driver for clients that do not name one.
    public var client: String
    public var server: ServerBinary
    /// Every installed nats-server, for servers that pin a version.
    public var installedServers: [ServerBinary]
    /// The folder holding natsfault and the nats.c driver.
    public var toolDirectory: String
    /// Where configs and logs go.
    public var workDirectory: String
    /// Whether the run has its own namespaces.
    public var sandboxed = false

    public init(client: String, server: ServerBinary, installedServers: [ServerBinary] = [], toolDirectory: String, workDirectory: String) {
        self.client = client
        self.server = server
        self.installedServers = installedServers
        self.toolDirectory = toolDirectory
        self.workDirectory = workDirectory
    }

    /// - Parameter installed: `VERSION=PATH` for every installed nats-server.
    public init(client: String, serverPath: String, serverVersion: String, installed: [String], toolDirectory: String, workDirectory: String) {
        let servers = installed.compactMap { entry -> ServerBinary? in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? ServerBinary(path: parts[1], version: parts[0]) : nil
        }
        self.init(client: client, server: ServerBinary(path: serverPath, version: serverVersion), installedServers: servers,
                  toolDirectory: toolDirectory, workDirectory: workDirectory)
    }

    /// The binary for one server of the scenario: its pinned version, else the run's.
    func binary(for spec: ServerSpec) throws -> ServerBinary {
        guard let version = spec.version else { return server }
        return try ServerBinary.select(from: installedServers, versionPrefix: version)
    }
}

/// Carries out one scenario against real processes and judges it.
///
/// Runs inside the sandbox: servers and drivers are children of this process, and `run()` tears all
/// of them down before it returns, whatever happened.
final class ScenarioRun: Sendable {
    let scenario: Scenario
    let target: RunTarget
    private let log = EventLog()
    private let state = ScenarioState()

    init(scenario: Scenario, target: RunTarget) {
        self.scenario = scenario
        self.target = target
    }

    func run() async -> ScenarioResult {
        let wallStart = MonotonicClock.nowNs()
        var result = ScenarioResult(scenario: scenario.name, file: scenario.file, description: scenario.description,
                                    client: target.client, serverVersion: target.server.version, outcome: .passed)
        result.sandboxed = target.sandboxed
        let record: @Sendable (RecordedEvent) -> Void = { [log] in log.append($0) }
        let logger = Logger(label: "natsfault")
        var servers: [ServerProcess] = []
        var drivers: [String: ClientDriver] = [:]
        let proxy = scenario.clients.contains { $0.link == .proxy } ? FaultProxy(threads: 1, record: record) : nil
        var timelineStart = wallStart
        do {
            for spec in scenario.servers {
                let peers = scenario.servers.filter { $0.name != spec.name && spec.config.cluster != nil && $0.config.cluster == spec.config.cluster }
                servers.append(ServerProcess(spec: spec, binary: try target.binary(for: spec), workDirectory: target.workDirectory,
                                             peers: peers, logger: logger, record: record))
            }
            for client in scenario.clients {
                let name = client.driver ?? target.client
                let command = try DriverCatalog.locate(name, toolDirectory: target.toolDirectory)
                drivers[client.name] = ClientDriver(client: client.name, command: command, workDirectory: target.workDirectory, logger: logger, record: record)
            }
            let hellos = try await withThrowingTaskGroup(of: (String, DriverHello)?.self) { group in
                for server in servers where server.spec.startAtBegin { group.addTask { try await server.start(); return nil } }
                for (name, driver) in drivers { group.addTask { (name, try await driver.start()) } }
                var hellos: [String: DriverHello] = [:]
                while let next = try await group.next() { if let (name, hello) = next { hellos[name] = hello } }
                return hellos
            }
            if let proxy { try await startLinks(proxy) }
            if let missing = missingCapability(hellos) {
                result.outcome = .skipped
                result.reason = missing
                throw Skipped()
            }
            timelineStart = MonotonicClock.nowNs()
            logger.info("\(scenario.name): servers and drivers ready; the timeline starts")
            let context = StepContext(logger: logger, proxy: proxy, sandboxed: target.sandboxed, scenario: scenario, servers: Dictionary(uniqueKeysWithValues: servers.map { ($0.spec.name, $0) }),
                                      drivers: drivers, log: log, state: state, startNs: timelineStart)
            result.checks = try await withTimeout(scenario.timeout) {
                try await context.runTimeline()
            }
        } catch is Skipped {
            // result already says why
        } catch let error as TimedOut {
            result.outcome = .error
            result.reason = "the scenario did not finish within its timeout of \(DurationText.format(error.limit)); raise \"timeout\" or shorten the timeline"
        } catch {
            result.outcome = .error
            result.reason = "\(error)"
        }
        let timelineEnd = MonotonicClock.nowNs()
        log.append(RecordedEvent(monoNs: timelineEnd, event: "teardown", text: "the timeline is over; stopping clients and servers"))

        for driver in drivers.values { await driver.shutdown() }
        await proxy?.shutdown()
        for server in servers { await server.shutdown() }

        result.events = log.snapshot()
        if result.outcome == .passed {
            // What teardown causes (every client closing) is not the scenario's behaviour.
            let judged = result.events.filter { $0.monoNs < timelineEnd }
            result.checks += scenario.assertions.enumerated().map { index, assertion in
                var check = assertion.check(judged)
                check.location = "assert[\(index)]"
                return check
            }
            result.checks += unexpectedExits(judged)
            if result.checks.contains(where: { !$0.passed }) { result.outcome = .failed }
        }
        for server in servers { result.logs["server \(server.spec.name)"] = await server.logTail() }
        for (name, driver) in drivers { result.logs["client \(name)"] = driver.stderrTail() }
        result.startNs = timelineStart
        result.timelineSeconds = Double(timelineEnd - timelineStart) / 1e9
        result.wallSeconds = Double(MonotonicClock.nowNs() - wallStart) / 1e9
        return result
    }

    /// Opens a proxy listener for every link of every proxied client.
    private func startLinks(_ proxy: FaultProxy) async throws {
        for client in scenario.clients where client.link == .proxy {
            for name in client.servers {
                guard let server = scenario.server(named: name) else { continue }
                let (host, port) = scenario.address(of: server, for: client)
                try await proxy.addLink(LinkID(client: client.name, server: server.name), listenHost: host, listenPort: port,
                                        upstreamHost: server.host, upstreamPort: server.port, upstreamUp: server.startAtBegin)
            }
        }
    }

    /// The first capability a client requires that its driver did not announce, as a skip reason.
    private func missingCapability(_ hellos: [String: DriverHello]) -> String? {
        for client in scenario.clients {
            guard let hello = hellos[client.name] else { continue }
            if let missing = client.requires.first(where: { !hello.capabilities.contains($0) }) {
                return "client \(client.name)'s driver (\(hello.library) \(hello.libraryVersion)) lacks the capability \"\(missing)\""
            }
        }
        return nil
    }

    /// A server that exited with no fault asking for it fails the scenario: the harness cannot vouch for the rest.
    private func unexpectedExits(_ events: [RecordedEvent]) -> [Check] {
        events.filter { $0.event == "server_exited" && ($0.text ?? "").hasSuffix("unexpected") }.map {
            Check(passed: false, expected: "server \($0.server ?? "?") runs until a fault stops it",
                  observed: "it exited by itself (\($0.text ?? ""))", decidedAtNs: $0.monoNs)
        }
    }
}

/// Mutable bookkeeping of a run: long-running driver operations still in flight.
final class ScenarioState: Sendable {
    private let pending = Mutex<[Task<Void, Never>]>([])
    private let heals = Mutex<[Task<Void, Never>]>([])
    func add(_ task: Task<Void, Never>) { pending.withLock { $0.append(task) } }
    func drain() -> [Task<Void, Never>] { pending.withLock { let all = $0; $0 = []; return all } }
    private let firewall = Mutex<Set<Int>>([])
    /// Firewall steps whose rules are in place, by step index.
    var activeFirewallSteps: [Int] { firewall.withLock { $0.sorted() } }
    func firewallAdded(_ step: Int) { _ = firewall.withLock { $0.insert(step) } }
    /// Marks a firewall step's rules removed; false if they were not in place.
    func firewallRemoved(_ step: Int) -> Bool { firewall.withLock { $0.remove(step) != nil } }
    /// A fault's scheduled self-heal; cancelled when the timeline ends.
    func addHeal(_ task: Task<Void, Never>) { heals.withLock { $0.append(task) } }
    func cancelHeals() { for task in heals.withLock({ $0 }) { task.cancel() } }
}

struct TimedOut: Error { let limit: Duration }

/// The run is not applicable; the result says why.
struct Skipped: Error {}

/// Runs `body`, throwing `TimedOut` if it takes longer than `limit` (the body is cancelled).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask { try? await Task.sleep(for: limit); return nil }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(limit: limit) }
        return value
    }
}

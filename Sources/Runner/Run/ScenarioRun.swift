import Foundation
import Logging
import NATSFaultCredentials
import NATSFaultDrivers
import NATSFaultProcess
import NATSFaultProxy
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Carries out one scenario against real processes and judges it.
///
/// Runs inside the sandbox: servers and drivers are children of this process, and `run()` tears all
/// of them down before it returns, whatever happened.
final class ScenarioRun: Sendable {
    let scenario: Scenario
    let target: RunTarget
    private let log: EventLog

    init(scenario: Scenario, target: RunTarget) {
        self.scenario = scenario
        self.target = target
        // Expectations may name JetStream acknowledgements and deliveries, which are traffic.
        let jetStream = scenario.clients.contains { scenario.usesJetStream(client: $0.name) }
        log = EventLog(watched: jetStream ? [.jsAck, .jsPublishFailed, .jsMessage] : [])
    }

    func run() async -> ScenarioResult {
        let wallStart = MonotonicClock.nowNs()
        var result = ScenarioResult(scenario: scenario.name, file: scenario.file, description: scenario.description,
                                    client: target.label, serverVersion: target.server.version, outcome: .passed)
        result.sandboxed = target.sandboxed
        let pinned = scenario.clients.filter { $0.driver != nil && $0.driver != target.label }.map { ($0.name, $0.driver!) }
        if !pinned.isEmpty { result.pinned = Dictionary(uniqueKeysWithValues: pinned) }
        let record: @Sendable (RecordedEvent) -> Void = { [log] in log.append($0) }
        let logger = Logger(label: "natsfault")
        var servers: [ServerProcess] = []
        var drivers: [String: ClientDriver] = [:]
        var apps: [String: ApplicationProcess] = [:]
        let clustered = scenario.servers.contains { $0.config.cluster != nil }
        let proxy = scenario.clients.contains { $0.link == .proxy } || clustered ? FaultProxy(threads: 1, record: record) : nil
        var timelineStart = wallStart
        var timelineEnd = wallStart
        var scope = CheckScope(scenario: scenario, runDriver: target.client)
        await Teardown.run { teardown in
            do {
                if let proxy { teardown.onTeardown { await proxy.shutdown() } }
                let authority = scenario.operatorMode ? try CredentialsAuthority(accounts: scenario.accounts) : nil
                for spec in scenario.servers {
                    let binary = try target.binary(for: spec)
                    if spec.config.jetStream?.sync == .always, compareVersions(binary.version, "2.10") < 0 {
                        result.outcome = .skipped
                        result.reason = "server \(spec.name) has jetstream sync: always, which needs nats-server 2.10 or later (nats-server \(binary.version) has no sync_interval)"
                        throw Skipped()
                    }
                    let routes = routeLinks(from: spec).map { "nats-route://\($0.host):\($0.peer.config.clusterPort)" }
                    let server = ServerProcess(spec: spec, binary: binary, workDirectory: target.workDirectory,
                                               routes: routes, trust: authority?.trust, logger: logger, record: record)
                    servers.append(server)
                    teardown.onTeardown { await server.shutdown() }
                }
                for client in scenario.clients {
                    guard let command = target.commands[client.name] else { throw ScenarioRunError.setupFailed("no command was found for client \(client.name)") }
                    if client.isApplication {
                        let app = ApplicationProcess(client: client.name, command: command, environment: applicationEnvironment(client),
                                                     workDirectory: target.workDirectory, logger: logger, record: record)
                        apps[client.name] = app
                        teardown.onTeardown { await app.stop() }
                    } else {
                        let driver = ClientDriver(client: client.name, command: command, workDirectory: target.workDirectory, logger: logger, record: record)
                        drivers[client.name] = driver
                        teardown.onTeardown { await driver.shutdown() }
                    }
                }
                if let proxy { try await startLinks(proxy) }
                let launchNs = MonotonicClock.nowNs()
                let hellos = try await withThrowingTaskGroup(of: (String, DriverHello)?.self) { group in
                    for server in servers where server.spec.startAtBegin {
                        group.addTask {
                            try await server.start()
                            // Links to a server listen once it is ready (a cluster's routes form as soon as the last node is).
                            try await proxy?.setServer(server.spec.name, running: true)
                            return nil
                        }
                    }
                    for (name, driver) in drivers { group.addTask { (name, try await driver.start()) } }
                    var hellos: [String: DriverHello] = [:]
                    while let next = try await group.next() { if let (name, hello) = next { hellos[name] = hello } }
                    return hellos
                }
                // Applications start once their servers are up, as they would in production (their own retry logic
                // is what a restart-on-failure scenario tests, not how they cope with a server that is not there yet).
                for app in apps.values { try await app.start() }
                if clustered { try await waitForRoutes(servers, since: launchNs, record: record) }
                result.libraries = hellos.mapValues { "\($0.library) \($0.libraryVersion)" }
                if let missing = missingCapability(hellos) {
                    result.outcome = .skipped
                    result.reason = missing
                    throw Skipped()
                }
                let jetStream = JetStreamRun(scenario: scenario, record: record)
                try await jetStream.setUp()
                var credentials: RunCredentials?
                if let authority {
                    credentials = try await RunCredentials.startingTimeline(authority, accounts: scenario.accounts, directory: target.workDirectory)
                }
                scope = CheckScope(scenario: scenario, runDriver: target.client, libraryVersions: result.libraries ?? [:])
                timelineStart = MonotonicClock.nowNs()
                logger.info("\(scenario.name): servers and drivers ready; the timeline starts")
                let context = TimelinePlayer(logger: logger, proxy: proxy, sandboxed: target.sandboxed, scenario: scenario, servers: Dictionary(uniqueKeysWithValues: servers.map { ($0.spec.name, $0) }),
                                          drivers: drivers, apps: apps, log: log, active: ActiveFaults(), operations: TaskNursery(), heals: TaskNursery(),
                                          startNs: timelineStart, seed: target.seed, scope: scope, credentials: credentials,
                                          installedServers: target.installedServers)
                result.checks = try await withTimeout(scenario.timeout) { [log] in
                    // A driver or program stopped for its output ends the timeline at once (the run is an error, below).
                    try await withThrowingTaskGroup(of: [Check]?.self) { group in
                        group.addTask { try await context.runTimeline() }
                        group.addTask { _ = await log.stopped.wait(); return nil }
                        defer { group.cancelAll() }
                        return try await group.next().flatMap { $0 } ?? []
                    }
                }
                await jetStream.readBack(log.snapshot())
            } catch is Skipped {
                // result already says why
            } catch let error as TimedOut {
                result.outcome = .error
                result.reason = "the scenario did not finish within its timeout of \(DurationText.format(error.limit)); raise \"timeout\" or shorten the timeline"
            } catch {
                result.outcome = .error
                result.reason = FileProblem.describe(error)
            }
            timelineEnd = MonotonicClock.nowNs()
            if result.outcome == .passed, clustered { result.checks += await routesOverLinks(servers) }
            log.append(RecordedEvent(monoNs: timelineEnd, event: .teardown, text: "the timeline is over; stopping clients and servers"))
        }

        result.events = log.snapshot()
        // A driver or program natsfault had to stop for its output (a line too long, a flood) makes the run an error.
        var broken: [String] = []
        for name in drivers.keys.sorted() { if let reason = await drivers[name]?.broken { broken.append(reason) } }
        for name in apps.keys.sorted() { if let reason = await apps[name]?.broken { broken.append(reason) } }
        if !broken.isEmpty, result.outcome != .skipped {
            result.outcome = .error
            result.reason = broken.joined(separator: "; ")
        }
        if result.outcome == .passed {
            // What teardown causes (every client closing) is not the scenario's behaviour.
            let judged = result.events.filter { $0.monoNs < timelineEnd }
            result.checks += scenario.assertions.indices.compactMap { index in
                guard scope.setAside(assertion: index) == nil else { return nil }
                var check = scenario.assertions[index].check(judged)
                check.location = "assert[\(index)]"
                check.source = scenario.assertionLocations.indices.contains(index) ? scenario.assertionLocations[index] : nil
                return check
            }
            result.checks += unexpectedExits(judged)
            result.checks += pendingConnects(judged)
            scope.markDifferences(&result.checks)
            if result.checks.contains(where: \.fails) {
                result.outcome = .failed
            } else if result.differences.contains(where: { !$0.gone }) {
                result.outcome = .differs
            }
        }
        for server in servers { result.logs["server \(server.spec.name)"] = await server.logTail() }
        for (name, driver) in drivers { result.logs["client \(name)"] = driver.stderrTail() }
        for (name, app) in apps { result.logs["application \(name)"] = app.outputTail() }
        result.startNs = timelineStart
        result.timelineSeconds = Double(timelineEnd - timelineStart) / 1e9
        result.wallSeconds = Double(MonotonicClock.nowNs() - wallStart) / 1e9
        return result
    }

    /// What an application finds in its environment: its links (`NATS_URL`, the first; `NATS_URLS`, all, comma-separated),
    /// its name for its connection (`NATS_CLIENT_NAME`), and the scenario's own variables.
    private func applicationEnvironment(_ client: ClientSpec) -> [String: String] {
        let urls = client.servers.compactMap { scenario.server(named: $0).map { scenario.url(of: $0, for: client) } }
        return client.environment.merging(["NATS_URL": urls.first ?? "", "NATS_URLS": urls.joined(separator: ","), "NATS_CLIENT_NAME": client.name]) { _, ours in ours }
    }

    /// The proxy links that carry the routes `server` dials: one per peer declared before it, each on its own address.
    ///
    /// Each pair of nodes has one dialling side (the later-declared node): when both sides dial at once,
    /// nats-server drops one route as a duplicate and sometimes both, and then waits a second or two
    /// before dialling again. A node restarted by a fault still gets its routes back: the later peers
    /// keep dialling it, and it dials the earlier ones.
    ///
    /// A JetStream node dials every peer, as clustered JetStream is configured in production: it refuses to start
    /// without a configured route, and a node that dials none (or only itself) was seen electing itself meta
    /// leader of a group of one before its peers connected, so that an R3 stream found no peers for 30 s
    /// (nats-server 2.10.26). Partitions cut both directions of a pair.
    private func routeLinks(from server: ServerSpec) -> [(host: String, peer: ServerSpec)] {
        guard let from = scenario.servers.firstIndex(of: server) else { return [] }
        let everyPeer = server.config.jetStream != nil
        return scenario.peers(of: server).compactMap { peer in
            guard let to = scenario.servers.firstIndex(of: peer), to < from || (everyPeer && peer.config.jetStream != nil) else { return nil }
            return (Scenario.routeHost(from: from, to: to), peer)
        }
    }

    /// Opens a proxy listener for every link of every proxied client, and for every cluster route.
    private func startLinks(_ proxy: FaultProxy) async throws {
        for server in scenario.servers {
            for (host, peer) in routeLinks(from: server) {
                // Route traffic is not the client protocol: relayed as it is, never parsed.
                try await proxy.addLink(LinkID(client: "route \(server.name)", server: peer.name), listenHost: host,
                                        listenPort: peer.config.clusterPort, upstreamHost: peer.host, upstreamPort: peer.config.clusterPort,
                                        upstreamUp: peer.startAtBegin, parsesProtocol: false)
            }
        }
        for client in scenario.clients where client.link == .proxy {
            // A client also reaches the cluster peers of its servers (it learns them from INFO): through links too.
            var reachable: [ServerSpec] = []
            for server in client.servers.compactMap(scenario.server(named:)) {
                for s in [server] + scenario.peers(of: server) where !reachable.contains(s) { reachable.append(s) }
            }
            let addresses = Dictionary(uniqueKeysWithValues: reachable.map { server in
                let (host, port) = scenario.address(of: server, for: client)
                return ("\(server.host):\(server.port)", "\(host):\(port)")
            })
            let rewrite = reachable.contains { $0.config.cluster != nil } ? ConnectURLRewrite(addresses: addresses) : nil
            for server in reachable {
                let (host, port) = scenario.address(of: server, for: client)
                try await proxy.addLink(LinkID(client: client.name, server: server.name), listenHost: host, listenPort: port,
                                        upstreamHost: server.host, upstreamPort: server.port, upstreamUp: false,
                                        filtersClientOperations: scenario.filtersClientOperations, connectURLs: rewrite)
            }
        }
    }

    /// Waits until every running cluster node has a route to every running peer, and records `cluster_ready`
    /// (its `latency_ns`: from launching the servers to the full mesh), so that timelines start on a formed cluster.
    private func waitForRoutes(_ servers: [ServerProcess], since startNs: Int64, record: @Sendable (RecordedEvent) -> Void) async throws {
        let running = servers.map(\.spec).filter { $0.startAtBegin && $0.config.cluster != nil }
        var ids: [String: String] = [:]
        for spec in running {
            ids[spec.name] = try await Monitoring.get(host: spec.host, port: spec.monitorPort, path: "/varz")["server_id"] as? String
        }
        let deadline = MonotonicClock.nowNs() + 10_000_000_000
        var missing: [String] = []
        repeat {
            missing = []
            for spec in running {
                let routez = try? await Monitoring.get(host: spec.host, port: spec.monitorPort, path: "/routez")
                let remotes = Set((routez?["routes"] as? [[String: Any]] ?? []).compactMap { $0["remote_id"] as? String })
                for peer in scenario.peers(of: spec) where peer.startAtBegin && !remotes.contains(ids[peer.name] ?? "?") {
                    missing.append("\(spec.name) → \(peer.name)")
                }
            }
            if missing.isEmpty {
                var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .clusterReady, text: "every node routes to every peer")
                e.latencyNs = e.monoNs - startNs
                record(e)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        } while MonotonicClock.nowNs() < deadline
        throw ScenarioRunError.setupFailed("the cluster did not form within 10s; routes missing: \(missing.joined(separator: ", "))")
    }

    /// Checks that every route of every running cluster node runs over a route link, as partitions assume.
    ///
    /// A route this node solicited shows the address it dialled (a link, 127.2.x.y); one it accepted shows
    /// the proxy's address (127.0.0.1). A route dialled straight to a node (127.0.0.2 and up) bypassed the links.
    private func routesOverLinks(_ servers: [ServerProcess]) async -> [Check] {
        var bypassing: [String] = []
        for server in servers where server.spec.config.cluster != nil {
            guard let routez = try? await Monitoring.get(host: server.spec.host, port: server.spec.monitorPort, path: "/routez"),
                  let routes = routez["routes"] as? [[String: Any]] else { continue }  // not running now
            for route in routes {
                let ip = route["ip"] as? String ?? "?"
                if ip != "127.0.0.1" && !ip.hasPrefix("127.2.") { bypassing.append("\(server.spec.name) → \(ip):\(route["port"] ?? "?")") }
            }
        }
        return [Check(passed: bypassing.isEmpty, expected: "every cluster route runs over its route link (so partitions can cut it)",
                      observed: bypassing.isEmpty ? "all routes over links" : "routes straight to nodes: \(bypassing.joined(separator: ", "))",
                      decidedAtNs: MonotonicClock.nowNs(), location: "harness")]
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

    /// A connect still going when its window ended fails the scenario, with what the client reported meanwhile (its
    /// other checks are judged all the same).
    private func pendingConnects(_ events: [RecordedEvent]) -> [Check] {
        events.filter { $0.event == .connectPending }.map { pending in
            let client = pending.client ?? "?"
            let sent = pending.monoNs - (pending.latencyNs ?? 0)
            let meanwhile = Dictionary(grouping: events.filter { $0.client == client && $0.event.clientEvent != nil && $0.monoNs >= sent && $0.monoNs <= pending.monoNs }) {
                "\($0.event)" + ($0.error.map { " (\($0.kind))" } ?? "")
            }.map { "\($0.value.count) \($0.key)" }.sorted()
            return Check(passed: false, expected: "client \(client)'s connect ends, connected or failed, within its window",
                         observed: (pending.text ?? "still connecting") + "; meanwhile the client reported " + (meanwhile.isEmpty ? "nothing" : meanwhile.joined(separator: ", ")),
                         decidedAtNs: pending.monoNs, location: "harness",
                         window: CheckWindow(client: client, anchorNs: sent, opensNs: sent, closesNs: pending.monoNs))
        }
    }

    /// A server that exited with no fault asking for it fails the scenario: the harness cannot vouch for the rest.
    private func unexpectedExits(_ events: [RecordedEvent]) -> [Check] {
        events.filter { $0.event == .serverExited && ($0.text ?? "").hasSuffix("unexpected") }.map {
            Check(passed: false, expected: "server \($0.server ?? "?") runs until a fault stops it",
                  observed: "it exited by itself (\($0.text ?? ""))", decidedAtNs: $0.monoNs)
        }
    }
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

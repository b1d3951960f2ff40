import Foundation
import NATSFaultDrivers
@testable import NATSFaultScenario
import NATSFaultTimeline
import Testing

struct ScenarioParserTests {
    static let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenarios")

    @Test func readsEverySetting() throws {
        let text = """
        name: full
        description: Every field once.
        server_versions: ["2.15"]
        timeout: 1m
        servers:
          - name: a
            port: 4333
            monitor_port: 8333
            ping_interval: 1s
            ping_max: 2
            max_connections: 10
            write_deadline: 250ms
            users: [{user: alice, password: secret}]
            lame_duck_grace_period: 1s
          - name: b
            start: false
        clients:
          - name: app
            servers: [b, a]
            connect: false
            options: {reconnect_wait: 250ms, max_reconnects: -1, reconnect_buffer_bytes: 1024, no_randomize: true, user: alice, password: secret}
            subscribe: [orders, {subject: "jobs.*", queue: workers, name: jobs}]
            reply: [svc]
            publish: [{subject: orders, stream: s1, count: 10, rate: 100, payload_bytes: 64}]
            request: [{subject: svc, count: 3, timeout: 500ms, interval: 10ms}]
        timeline:
          - connect: app
          - id: crash
            after: 100ms
            restart: {server: a, down: 1s, kill: true}
          - at: 5s
            reload: {server: a, users: []}
          - expect: {client: app, event: reconnected, server: a, since: crash, not_before: 1s, within: 3s, max: 2}
          - expect_absent: {client: app, event: closed, for: 2s}
        assert:
          - events: {client: app, event: disconnected, error: stale_connection, min: 1}
          - order: {client: app, events: [connected, disconnected, reconnected]}
          - messages: {stream: s1, client: app, sub: orders, received: {min: 9}, max_lost: 1, lost_only_during_outage: true}
          - publishes: {stream: s1, ok: 10, failed: 0}
          - requests: {stream: svc, ok: {min: 2}, timeout: {max: 1}, p99_below: 100ms}
        """
        let s = try ScenarioParser.parse(text, file: "full.yaml", shippedDrivers: shipped)
        #expect(s.name == "full")
        #expect(s.serverVersions == ["2.15"])
        #expect(s.timeout == .seconds(60))
        #expect(s.servers.map(\.host) == ["127.0.0.1", "127.0.0.2"])
        #expect(s.servers[0].port == 4333 && s.servers[0].monitorPort == 8333)
        #expect(s.servers[0].config.writeDeadline == .milliseconds(250))
        #expect(s.servers[0].config.users == [User(user: "alice", password: "secret")])
        #expect(s.servers[1].startAtBegin == false && s.servers[1].port == 4222)
        let app = try #require(s.client(named: "app"))
        #expect(app.servers == ["b", "a"])
        #expect(app.connectAtBegin == false)
        #expect(app.options.maxReconnects == -1 && app.options.reconnectWait == .milliseconds(250))
        #expect(app.subscriptions.map(\.name) == ["orders", "jobs"])
        #expect(app.subscriptions[1].queue == "workers")
        let p = try #require(app.publishers.first)
        #expect(p.subject == "orders" && p.stream == "s1" && p.count == 10 && p.ratePerSecond == 100 && p.payloadBytes == 64)
        #expect(app.requesters.first?.stream == "svc")
        #expect(s.steps.count == 5)
        #expect(s.steps[1].timing == .afterPrevious(.milliseconds(100)))
        #expect(s.steps[2].timing == .at(.seconds(5)))
        guard case .fault(let fault) = s.steps[1].action, let restart = fault.base as? Restart, restart.server == "a" else { Issue.record("not a restart"); return }
        #expect(restart.down == .seconds(1) && restart.kill)
        guard case .expect(let e) = s.steps[3].action else { Issue.record("not an expectation"); return }
        #expect(e.count == CountRange(min: 0, max: 2))
        #expect(e.match.serverURL == "nats://127.1.1.1:4333", "app reaches server a through its proxy link")
        #expect(e.since == "crash" && e.notBefore == .seconds(1))
        #expect(s.assertions.count == 5)
        #expect(s.faultNames == ["restart", "reload"])
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("2s", .seconds(2)), ("1m30s", .seconds(90)),
        ("1.5s", .milliseconds(1500)), ("0s", .zero), ("100us", .microseconds(100)), ("2562047h", .seconds(2_562_047 * 3600)),
    ])
    func durations(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    /// Durations past 2^63 ns (found by fuzzing) among them: they trapped converting to Int64.
    @Test(arguments: ["", "2", "-1s", "2 s x", "s", "2sec", "1.2.3s", "2562048h", "9999999999s", "2562047h1h", String(repeating: "9", count: 400) + "ns"])
    func notDurations(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func everyBundledScenarioIsValidAndSaysWhatItReproduces() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.bundled.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 9)
        for file in files {
            let text = try String(contentsOf: Self.bundled.appendingPathComponent(file), encoding: .utf8)
            // The first line lets editors validate the file against the schema; the opening comment follows it.
            #expect(text.hasPrefix("# yaml-language-server: $schema=../docs/scenario.schema.json\n# Real-world failure:"),
                    "\(file) must open with the schema modeline, then the failure it reproduces")
            #expect(text.contains("# What a good client must do:"), "\(file) must say what a good client does")
            let scenario = try ScenarioParser.parse(text, file: file, shippedDrivers: shipped)
            #expect(!scenario.description.isEmpty)
        }
    }

    /// A file declares drivers of its own, or replaces a shipped one for its clients, as `run --driver c=…` does for a run.
    @Test(arguments: ["java", "c"])
    func aScenarioCanDeclareItsOwnDrivers(_ name: String) throws {
        let text = """
        drivers:
          \(name): ./drivers/\(name)-driver --verbose
        servers:
          - name: a
        clients:
          - {name: app, driver: \(name)}
          - {name: other}
        assert:
          - events: {client: app, event: connected}
        """
        let scenario = try ScenarioParser.parse(text, file: "own-driver.yaml", shippedDrivers: shipped)
        #expect(scenario.drivers == [name: ["./drivers/\(name)-driver", "--verbose"]])
        #expect(scenario.clients.map(\.driver) == [name, nil])
    }

    /// A shipped driver the file replaces is named once among the drivers its clients may use.
    @Test func aReplacedShippedDriverIsNamedOnce() {
        let text = "drivers: {c: ./patched}\nservers: [{name: a}]\nclients: [{name: app, driver: java}]\nassert: [{events: {client: app, event: connected}}]"
        let error = #expect(throws: ScenarioError.self) { try ScenarioParser.parse(text, file: "patched.yaml", shippedDrivers: shipped) }
        #expect(error?.message == "clients[0].driver: unknown driver \"java\"; allowed: c, go, python, or one declared under \"drivers\"")
    }

    @Test func servicesProbesAndClientRestarts() throws {
        let text = """
        servers:
          - name: a
          - name: b
        clients:
          - name: svc
            service:
              name: orders
              version: 2.1.0
              endpoints: [orders.get, {name: put, subject: orders.put, queue: writers}]
        timeline:
          - probe_service: {service: orders, server: b, instances: {min: 1}, subjects: [orders.get], requests: 3, errors: 0, within: 2s}
          - probe: {subject: orders.get, stream: p, count: 4, timeout: 250ms, interval: 10ms, payload_bytes: 64}
          - restart_client: svc
        assert:
          - requests: {stream: p, no_responders: 4, each_below: 100ms}
        """
        let scenario = try ScenarioParser.parse(text, file: "services.yaml", shippedDrivers: shipped)
        let client = try #require(scenario.clients.first)
        #expect(client.service == ServiceSpec(name: "orders", version: "2.1.0", endpoints: [
            ServiceEndpoint(name: "orders_get", subject: "orders.get", queue: nil),
            ServiceEndpoint(name: "put", subject: "orders.put", queue: "writers"),
        ]))
        #expect(client.requires == ["service"], "a client with a service needs the capability")
        guard case .probeService(let probe) = scenario.steps[0].action else { Issue.record("not a service probe"); return }
        #expect(probe == ServiceProbe(service: "orders", server: "b", within: .seconds(2), instances: CountRange(min: 1, max: nil),
                                      subjects: ["orders.get"], requests: .exactly(3), errors: .exactly(0)))
        guard case .probe(let requests) = scenario.steps[1].action else { Issue.record("not a probe"); return }
        #expect(requests == ProbeRequests(subject: "orders.get", server: "a", stream: "p", count: 4, timeout: .milliseconds(250),
                                          interval: .milliseconds(10), payloadBytes: 64))
        guard case .fault(let fault) = scenario.steps[2].action, (fault.base as? RestartClient)?.client == "svc" else { Issue.record("not a client restart"); return }
        guard case .requests(let outcomes) = scenario.assertions[0] else { Issue.record("not a requests assertion"); return }
        #expect(outcomes.eachBelow == .milliseconds(100))
        #expect(scenario.faultNames == ["restart_client"])
    }

    @Test func anApplicationUnderTestIsAClientWithACommand() throws {
        let text = """
        servers:
          - name: a
        clients:
          - name: shop
            command: apps/shop --config prod.yaml
            env: {LOG_LEVEL: debug}
            services: [orders]
          - name: caller
        timeline:
          - probe: {subject: shop.ping, within: 5s}
          - probe_service: {service: orders, instances: 1, within: 5s}
          - restart_client: shop
          - expect: {client: shop, event: output, matches: "reconnected to .*", within: 3s}
        assert:
          - events: {client: shop, event: exited, matches: "exited\\\\(0\\\\)", count: 0}
        """
        let scenario = try ScenarioParser.parse(text, file: "apps.yaml", shippedDrivers: shipped)
        let shop = try #require(scenario.client(named: "shop"))
        #expect(shop.isApplication && !(scenario.client(named: "caller")?.isApplication ?? true))
        #expect(shop.command == ["apps/shop", "--config", "prod.yaml"])
        #expect(shop.environment == ["LOG_LEVEL": "debug"])
        #expect(shop.services == ["orders"])
        guard case .probe(let probe) = scenario.steps[0].action else { Issue.record("not a probe"); return }
        #expect(probe.within == .seconds(5) && probe.timeout == .milliseconds(500))
        guard case .expect(let expectation) = scenario.steps[3].action else { Issue.record("not an expectation"); return }
        #expect(expectation.match.pattern == "reconnected to .*")
        var line = RecordedEvent(monoNs: 1, client: "shop", event: .output, text: "app: reconnected to nats://127.1.1.1:4222")
        #expect(line.matches(expectation.match))
        line.text = "app: disconnected"
        #expect(!line.matches(expectation.match))
    }

    /// A partition cuts the route links between the two sides (both ways) and the named clients' links
    /// to the cut side: two INPUT rules per link address, one for each direction of its packets.
    @Test func aPartitionBecomesRulesOnTheRouteAndClientLinks() throws {
        let text = """
        servers:
          - {name: a, cluster: east}
          - {name: b, cluster: east}
          - {name: c, cluster: east}
        clients:
          - {name: feeder, servers: [c]}
          - {name: app, servers: [a]}
        timeline:
          - partition: {servers: [a], clients: [app], action: reject}
          - cut: {client: feeder, server: c, for: 1s}
          - expect: {client: app, event: disconnected, within: 5s}
        """
        let s = try ScenarioParser.parse(text, file: "p.yaml", shippedDrivers: shipped)
        guard case .fault(let first) = s.steps[0].action, let partition = first.base as? Partition,
              case .fault(let second) = s.steps[1].action, let cut = second.base as? Cut else {
            Issue.record("expected a partition and a cut")
            return
        }
        let hosts = ["127.2.1.2", "127.2.2.1", "127.2.1.3", "127.2.3.1", "127.1.2.1"]
        #expect(partition.reportedName == "partition")
        #expect(partition.rules == hosts.flatMap { h in
            [FirewallRule(action: .reject, direction: .in, port: nil, source: nil, destination: h),
             FirewallRule(action: .reject, direction: .in, port: nil, source: h, destination: nil)]
        })
        #expect(partition.wording == "partition (reject): a cut off from b, c and from client app")
        #expect(cut.rules.map(\.action) == [.drop, .drop])
        #expect(cut.rules.compactMap { $0.destination ?? $0.source } == ["127.1.1.3", "127.1.1.3"])
        #expect(cut.duration == .seconds(1))
    }
}

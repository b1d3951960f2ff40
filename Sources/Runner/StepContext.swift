import Foundation
import Logging
import NATSFaultDrivers
import NATSFaultFirewall
import NATSFaultProxy
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
#if canImport(Glibc)
import Glibc
#endif

/// Everything the timeline's steps act on, and the carrying out of each step.
struct StepContext: Sendable {
    let logger: Logger
    let proxy: FaultProxy?
    /// Whether this run has its own network namespace (firewall rules need one).
    let sandboxed: Bool
    let scenario: Scenario
    let servers: [String: ServerProcess]
    let drivers: [String: ClientDriver]
    /// Applications under test (clients with a `command`), by client name.
    let apps: [String: ApplicationProcess]
    let log: EventLog
    let state: ScenarioState
    let startNs: Int64

    /// Connects the clients that connect at the start, then runs every step; returns the expectations' checks.
    func runTimeline() async throws -> [Check] {
        for client in scenario.clients where client.connectAtBegin {
            try await connect(client)
        }
        var checks: [Check] = []
        var stepStarts: [String: Int64] = [:]
        // Where an expectation without `since` measures from: the latest action (a fault, a heal, a client action),
        // so that what the action causes is not missed while an earlier expectation is still being decided.
        var lastActionStart: Int64?
        for (index, step) in scenario.steps.enumerated() {
            try Task.checkCancellation()
            switch step.timing {
            case .afterPrevious(let d) where d > .zero:
                try await Task.sleep(for: d)
            case .at(let offset):
                let wait = startNs + offset.nanoseconds - MonotonicClock.nowNs()
                if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
            default: break
            }
            let began = MonotonicClock.nowNs()
            if let id = step.id { stepStarts[id] = began }
            var stepEvent = RecordedEvent(monoNs: began, event: "step", text: "\(index + 1). \(describe(step.action))")
            stepEvent.seq = index + 1
            log.append(stepEvent)
            logger.info("step \(index + 1) at \(step.location): \(describe(step.action))")
            let check = try await perform(step.action, index: index, began: began, stepStarts: stepStarts, lastActionStart: lastActionStart)
            switch step.action {
            case .expect, .expectAbsent, .expectServer, .probeService: break
            case .probe(let p) where p.within != nil: break
            case .wait: lastActionStart = nil
            default: lastActionStart = began
            }
            if var check {
                check.location = step.location.description
                checks.append(check)
                var e = RecordedEvent(monoNs: check.decidedAtNs ?? MonotonicClock.nowNs(), event: "expectation",
                                      text: "\(check.passed ? "met" : "NOT met"): \(check.expected); observed \(check.observed)")
                e.ok = check.passed
                log.append(e)
                logger.info("\(check.passed ? "met" : "NOT met"): \(check.expected); observed \(check.observed)")
            }
        }
        try await settle()
        state.cancelHeals()
        return checks
    }

    /// Carries out one action; an expectation returns its check.
    private func perform(_ action: Action, index: Int, began: Int64, stepStarts: [String: Int64], lastActionStart: Int64?) async throws -> Check? {
        switch action {
        case .server(let fault, let name):
            guard let server = servers[name] else { return nil }
            var faultEvent = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: name, event: "fault", text: describe(action))
            faultEvent.fault = fault.name
            log.append(faultEvent)
            try await apply(fault, to: server, named: name)
        case .client(let clientAction, let name):
            if clientAction == .kill || clientAction == .restart {
                var faultEvent = RecordedEvent(monoNs: MonotonicClock.nowNs(), client: name, event: "fault", text: describe(action))
                faultEvent.fault = clientAction == .kill ? "kill_client" : "restart_client"
                log.append(faultEvent)
            }
            try await apply(clientAction, to: name)
        case .wait(let d):
            try await Task.sleep(for: d)
        case .expectServer(let expectation):
            return await watchServer(expectation)
        case .probe(let probe) where probe.within != nil:
            return await probeUntilAnswered(probe)
        case .probe(let probe):
            startProbe(probe)
        case .probeService(let probe):
            return await watchService(probe)
        case .proxy(let step):
            try await inject(step, faultID: index, action: action)
        case .firewall(let step):
            try addRules(step, stepIndex: index, action: action)
        case .heal(.all):
            for id in proxy?.activeFaults ?? [] { try await heal(faultID: id) }
            for id in state.activeFirewallSteps { try healRules(stepIndex: id) }
        case .heal(.step(let id)):
            guard let faultID = scenario.steps.firstIndex(where: { $0.id == id }) else { break }
            if case .firewall = scenario.steps[faultID].action { try healRules(stepIndex: faultID) } else { try await heal(faultID: faultID) }
        case .expect(let expectation):
            if let since = expectation.since.flatMap({ stepStarts[$0] }) {
                return try await watch { now in expectation.decide(events: log.lifecycleSnapshot(), anchorNs: since, nowNs: now) }
            }
            let anchor = lastActionStart ?? began
            return try await watch { now in expectation.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: began) }
        case .expectAbsent(let expectation):
            let anchor = lastActionStart ?? began
            return try await watch { now in expectation.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: began) }
        }
        return nil
    }

    /// Re-judges an expectation as events arrive until it is decided.
    private func watch(_ decide: (Int64) -> StepDecision) async throws -> Check {
        while true {
            let now = MonotonicClock.nowNs()
            switch decide(now) {
            case .decided(let check): return check
            case .pending(let deadline):
                // Events carry the drivers' own timestamps, so a short poll costs no accuracy.
                try await Task.sleep(for: .nanoseconds(max(1_000_000, min(10_000_000, deadline - now))))
            }
        }
    }

    /// Polls a server's monitoring port until the condition holds or the window closes.
    private func watchServer(_ e: ServerExpectation) async -> Check {
        let deadline = MonotonicClock.nowNs() + e.within.nanoseconds
        let spec = scenario.server(named: e.server)!
        var observed = "nothing read"
        while true {
            do {
                let document = try await Monitoring.get(host: spec.host, port: spec.monitorPort, path: e.condition.path)
                var peerID: String?
                if case .routes(let peer?, _) = e.condition, let peerSpec = scenario.server(named: peer) {
                    peerID = try await Monitoring.get(host: peerSpec.host, port: peerSpec.monitorPort, path: "/varz")["server_id"] as? String
                }
                let (met, seen) = e.condition.judge(document, peerID: peerID)
                observed = seen
                if met { return Check(passed: true, expected: e.condition.expected(server: e.server), observed: seen, decidedAtNs: MonotonicClock.nowNs()) }
            } catch {
                observed = "\(error)"
            }
            if MonotonicClock.nowNs() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return Check(passed: false, expected: e.condition.expected(server: e.server) + " within \(DurationText.format(e.within))", observed: observed, decidedAtNs: MonotonicClock.nowNs())
    }

    /// Sends a probe's requests in the background, recording each outcome as a `request_result` of its stream.
    private func startProbe(_ p: ProbeRequests) {
        let log = self.log, target = probeTarget(p.server)
        var payload = Array("1 \(p.stream)".utf8)
        if let size = p.payloadBytes, size > payload.count { payload += Array(repeating: UInt8(ascii: "."), count: size - payload.count) }
        state.add(Task {
            do {
                _ = try await RequestProbe.requests(target, subject: p.subject, payload: payload, count: p.count, timeout: p.timeout,
                                                    interval: p.interval ?? .zero) { seq, outcome in log.append(Self.event(outcome, of: p, seq: seq)) }
            } catch {
                log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: p.server, event: "log", text: "probe of \(p.subject): \(error)"))
            }
        })
    }

    /// Sends requests one after another until one is answered or the probe's window passes; each is recorded.
    private func probeUntilAnswered(_ p: ProbeRequests) async -> Check {
        let started = MonotonicClock.nowNs()
        let deadline = started + p.within!.nanoseconds
        let target = probeTarget(p.server)
        let expected = "\(p.subject) on server \(p.server) answers a request within \(DurationText.format(p.within!))"
        var tries = 0
        var last = "no request sent"
        while MonotonicClock.nowNs() < deadline, !Task.isCancelled {
            tries += 1
            let left = Duration.nanoseconds(deadline - MonotonicClock.nowNs())
            guard let outcome = try? await RequestProbe.requests(target, subject: p.subject, timeout: min(p.timeout, max(left, .milliseconds(1)))).first else {
                last = "the probe could not reach server \(p.server)"
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            let e = Self.event(outcome, of: p, seq: tries)
            log.append(e)
            if e.ok == true {
                let after = Double(e.monoNs - started) / 1e6
                return Check(passed: true, expected: expected, observed: "answered after \(String(format: "%.0f", after))ms (request \(tries))", decidedAtNs: e.monoNs)
            }
            last = e.error?.kind == ErrorKind.noResponders.rawValue ? "no responders" : "timeout"
            try? await Task.sleep(for: p.interval ?? .milliseconds(100))
        }
        return Check(passed: false, expected: expected, observed: "\(tries) request(s), none answered; the last: \(last)", decidedAtNs: MonotonicClock.nowNs())
    }

    /// A probe request's outcome as the `request_result` event of its stream, stamped now.
    private static func event(_ outcome: RequestProbe.Outcome, of p: ProbeRequests, seq: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: p.server, event: "request_result")
        (e.stream, e.seq) = (p.stream, seq)
        switch outcome {
        case .replies(_, let latency): (e.ok, e.latencyNs) = (true, latency)
        case .noResponders(let latency):
            (e.ok, e.latencyNs, e.error) = (false, latency, ClientError(kind: ErrorKind.noResponders.rawValue, message: "no responders (status 503)"))
        case .timeout(let latency):
            (e.ok, e.latencyNs, e.error) = (false, latency, ClientError(kind: ErrorKind.timeout.rawValue, message: "no reply within \(DurationText.format(p.timeout))"))
        }
        return e
    }

    /// Asks a service's discovery subjects every 100 ms until they show what the probe asks for, or its window ends;
    /// every change in what they show is recorded as a `service_probe` event (the instance counts over time).
    private func watchService(_ p: ServiceProbe) async -> Check {
        let deadline = MonotonicClock.nowNs() + p.within.nanoseconds
        let target = probeTarget(p.server)
        var observed = "nothing read"
        var last: ServiceObservation?
        while true {
            do {
                // Every instance answers a discovery request; 250 ms gathers them on a loaded machine.
                func ask(_ kind: String) async throws -> [[String: Any]] {
                    let outcomes = try await RequestProbe.requests(target, subject: "$SRV.\(kind).\(p.service)", timeout: .milliseconds(250), gather: true)
                    guard case .replies(let replies, _)? = outcomes.first else { return [] }
                    return replies.compactMap { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }
                }
                let askedNs = MonotonicClock.nowNs()
                let observation = ServiceObservation(ping: try await ask("PING"), info: p.needsInfo ? try await ask("INFO") : nil,
                                                     stats: p.needsStats ? try await ask("STATS") : nil)
                observed = observation.summary
                if observation != last {
                    var e = RecordedEvent(monoNs: askedNs, server: p.server, event: "service_probe", text: "\(p.service): \(observation.summary)")
                    e.instances = observation.instances
                    log.append(e)
                    last = observation
                }
                if p.holds(for: observation) { return Check(passed: true, expected: p.expected, observed: observed, decidedAtNs: MonotonicClock.nowNs()) }
            } catch {
                observed = "\(error)"
            }
            if MonotonicClock.nowNs() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return Check(passed: false, expected: p.expected + " within \(DurationText.format(p.within))", observed: observed, decidedAtNs: MonotonicClock.nowNs())
    }

    /// Where natsfault's own probes connect: the server itself (never a proxy link), as its first user if it has users.
    private func probeTarget(_ server: String) -> RequestProbe.Target {
        let spec = scenario.server(named: server)!
        let user = spec.config.users.first
        return RequestProbe.Target(host: spec.host, port: spec.port, user: user?.user, password: user?.password)
    }

    /// Adds a firewall step's rules (recorded as a fault event) and, with a duration, schedules their removal.
    private func addRules(_ step: FirewallStep, stepIndex: Int, action: Action) throws {
        guard sandboxed else {
            throw ScenarioRunError.setupFailed("firewall rules need the scenario's own network namespace, and namespaces are not available here; they would change the host's firewall")
        }
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: "fault", text: describe(action))
        e.fault = step.fault
        log.append(e)
        try Firewall.add(step.rules)
        state.firewallAdded(stepIndex)
        if let duration = step.duration {
            let context = self
            state.addHeal(Task {
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled else { return }
                try? context.healRules(stepIndex: stepIndex)
            })
        }
    }

    private func healRules(stepIndex: Int) throws {
        guard state.firewallRemoved(stepIndex), case .firewall(let step) = scenario.steps[stepIndex].action else { return }
        try Firewall.remove(step.rules)
        log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), event: "heal", text: "healed: \(describe(scenario.steps[stepIndex].action))"))
    }

    /// Applies a proxy fault (recorded as a fault event) and, with a duration, schedules its heal.
    private func inject(_ step: ProxyFaultStep, faultID: Int, action: Action) async throws {
        guard let proxy else { return }
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), client: step.client, server: step.server, event: "fault", text: describe(action))
        e.fault = step.fault.name
        log.append(e)
        try await proxy.apply(step.fault, faultID: faultID, client: step.client, server: step.server)
        if let duration = step.duration {
            let context = self
            state.addHeal(Task {
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled else { return }
                try? await context.heal(faultID: faultID)
            })
        }
    }

    private func heal(faultID: Int) async throws {
        guard let proxy, try await proxy.heal(faultID: faultID) else { return }
        let step = scenario.steps[faultID]
        log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), event: "heal", text: "healed: \(describe(step.action))"))
    }

    /// Applies a server fault; the proxy's links to the server listen exactly while it runs.
    private func apply(_ fault: ServerFault, to server: ServerProcess, named name: String) async throws {
        switch fault {
        case .start:
            try await server.start()
            try await proxy?.setServer(name, running: true)
        case .stop:
            await server.stop(signal: SIGTERM)
            try await proxy?.setServer(name, running: false)
        case .kill:
            await server.stop(signal: SIGKILL)
            try await proxy?.setServer(name, running: false)
        case .restart(let down, let kill):
            await server.stop(signal: kill ? SIGKILL : SIGTERM)
            try await proxy?.setServer(name, running: false)
            if down > .zero { try await Task.sleep(for: down) }
            try await server.start()
            try await proxy?.setServer(name, running: true)
        case .pause: await server.signal(SIGSTOP)
        case .resume: await server.signal(SIGCONT)
        case .lameDuck: await server.signal(SIGUSR2)
        case .reload(let change): try await server.reload(change)
        }
    }

    private func apply(_ action: ClientAction, to name: String) async throws {
        if let app = apps[name] {
            switch action {
            case .kill: await app.kill()
            case .restart:
                await app.kill()
                guard await app.waitForEnd(timeout: .seconds(5)) else { throw ScenarioRunError.setupFailed("application \(name) did not end within 5 s of SIGKILL") }
                try await app.start()
            default: break  // the parser allows only kill_client and restart_client for applications
            }
            return
        }
        guard let driver = drivers[name], let client = scenario.client(named: name) else { return }
        switch action {
        case .connect: try await connect(client)
        case .subscribe(let s): try await expectOK(driver.send(.subscribe(s)), client: name, op: "subscribe")
        case .reply(let r): try await expectOK(driver.send(.reply(r)), client: name, op: "reply")
        case .publish(let p): startLongOperation(driver, .publish(p))
        case .request(let r): startLongOperation(driver, .request(r))
        case .flush(let timeout): record(try await driver.send(.flush(timeout: timeout), timeout: timeout + .seconds(5)), client: name, op: "flush")
        case .drain: record(try await driver.send(.drain, timeout: .seconds(60)), client: name, op: "drain")
        case .close: record(try await driver.send(.close), client: name, op: "close")
        case .kill: await driver.kill()
        case .restart:
            await driver.kill()
            guard await driver.waitForEnd(timeout: .seconds(5)) != nil else { throw ScenarioRunError.setupFailed("the driver of client \(name) did not end within 5 s of SIGKILL") }
            _ = try await driver.start()
            try await connect(client)
        }
    }

    /// Connects a client and sets up its subscriptions, responders, publishers and requesters.
    private func connect(_ client: ClientSpec) async throws {
        guard let driver = drivers[client.name] else { return }
        let timeout = (client.options.connectTimeout ?? .seconds(2)) * 3 + .seconds(10)
        let ack = try await driver.send(.connect(client, scenario: scenario), timeout: timeout)
        guard ack.ok else {
            log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client.name, event: ClientEventKind.connectFailed.rawValue,
                                     error: ack.error ?? ClientError(kind: "other", message: "connect failed")))
            return
        }
        for s in client.subscriptions { try await expectOK(driver.send(.subscribe(s)), client: client.name, op: "subscribe") }
        for r in client.replies { try await expectOK(driver.send(.reply(r)), client: client.name, op: "reply") }
        if let service = client.service { try await expectOK(driver.send(.service(service)), client: client.name, op: "service") }
        for p in client.publishers { startLongOperation(driver, .publish(p)) }
        for r in client.requesters { startLongOperation(driver, .request(r)) }
    }

    /// Starts an operation whose ack comes when it is done (publishing, requesting) without waiting for it.
    private func startLongOperation(_ driver: ClientDriver, _ command: DriverOp) {
        let log = self.log, op = command.name
        state.add(Task {
            do {
                let ack = try await driver.send(command, timeout: .seconds(3600))
                if !ack.ok {
                    log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: driver.client, event: "log",
                                             error: ack.error, text: "\(op) failed"))
                }
            } catch {
                log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: driver.client, event: "log", text: "\(op): \(error)"))
            }
        })
    }

    /// Setting up a subscription or responder must work, or the scenario cannot be judged.
    private func expectOK(_ ack: DriverAck, client: String, op: String) throws {
        guard ack.ok else {
            throw ScenarioRunError.setupFailed("client \(client): \(op) failed: \(ack.error.map { "\($0)" } ?? "no reason given")")
        }
    }

    private func record(_ ack: DriverAck, client: String, op: String) {
        guard !ack.ok else { return }
        log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: "log", error: ack.error, text: "\(op) failed"))
    }

    /// Waits for publishers and requesters to finish, then for deliveries in flight to arrive.
    private func settle() async throws {
        for task in state.drain() { await task.value }
        await withTaskGroup(of: Void.self) { group in
            for driver in drivers.values { group.addTask { _ = try? await driver.send(.flush(timeout: .seconds(1)), timeout: .seconds(3)) } }
        }
        var last = log.count
        var quiet = 0
        while quiet < 10 {
            try await Task.sleep(for: .milliseconds(10))
            let now = log.count
            quiet = now == last ? quiet + 1 : 0
            last = now
        }
    }
}

enum ScenarioRunError: Error, CustomStringConvertible {
    case setupFailed(String)
    var description: String {
        switch self {
        case .setupFailed(let text): text
        }
    }
}

/// How a step reads in reports.
func describe(_ action: Action) -> String {
    switch action {
    case .server(let fault, let server):
        switch fault {
        case .restart(let down, let kill): "restart server \(server) (\(kill ? "SIGKILL" : "SIGTERM"), down \(DurationText.format(down)))"
        case .stop: "stop server \(server) (SIGTERM)"
        case .kill: "kill server \(server) (SIGKILL)"
        case .pause: "pause server \(server) (SIGSTOP)"
        case .resume: "resume server \(server) (SIGCONT)"
        case .lameDuck: "lame duck server \(server) (SIGUSR2)"
        case .reload: "reload server \(server) (SIGHUP, changed config)"
        case .start: "start server \(server)"
        }
    case .client(let a, let client): "\(a.name) client \(client)"
    case .wait(let d): "wait \(DurationText.format(d))"
    case .expect(let e): "expect \(e.match) \(e.count) within \(DurationText.format(e.within))"
    case .expectAbsent(let e): "expect no \(e.match) for \(DurationText.format(e.duration))"
    case .proxy(let p):
        "proxy \(p.fault.name)" + (p.fault.direction.map { $0 == .both ? "" : " \($0.rawValue)" } ?? "")
            + " on \(p.client ?? "every client") → \(p.server ?? "every server")" + (p.duration.map { " for \(DurationText.format($0))" } ?? "")
    case .firewall(let f): f.description
    case .heal(.all): "heal every proxy fault and firewall rule"
    case .expectServer(let e): "expect \(e.condition.expected(server: e.server)) within \(DurationText.format(e.within))"
    case .heal(.step(let id)): "heal \(id)"
    case .probe(let p) where p.within != nil: "expect \(p.subject) on server \(p.server) to answer within \(DurationText.format(p.within!)) (stream \(p.stream))"
    case .probe(let p): "probe \(p.subject) on server \(p.server): \(p.count) request(s), timeout \(DurationText.format(p.timeout)), stream \(p.stream)"
    case .probeService(let p): "expect \(p.expected) within \(DurationText.format(p.within))"
    }
}

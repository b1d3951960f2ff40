import Foundation
import Logging
import NATSFaultDrivers
import NATSFaultFirewall
import NATSFaultProxy
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Plays a scenario's timeline: connects the clients, carries out each step on the run's servers, clients,
/// proxy and firewall, and decides the expectations as the events come (its `FaultContext` side is in
/// PlayerFaults.swift).
struct TimelinePlayer: Sendable {
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
    let active: ActiveFaults
    /// Publishers, requesters and background probes: awaited before the run settles.
    let operations: TaskNursery
    /// Timed heals (`for:`): cancelled when the timeline is over.
    let heals: TaskNursery
    let startNs: Int64
    /// The run's seed, which faults draw their randomness from.
    let seed: UInt64
    /// Which checks this run's libraries judge.
    let scope: CheckScope
    /// In operator mode, the run's operator and its users' creds files.
    let credentials: RunCredentials?
    /// The installed nats-server versions, for restarts on another version.
    let installedServers: [ServerBinary]

    /// Connects the clients that connect at the start, then runs every step; returns the expectations' checks.
    ///
    func runTimeline() async throws -> [Check] {
        try await heals.run(cancellingAtEnd: true) {
            var checks = try await operations.run(cancellingAtEnd: false) { try await playSteps() }
            try await settle()
            seeLateEvents(&checks)
            return checks
        }
    }

    /// Adds to each client expectation's window the matching events that came after it was decided (a late reconnect),
    /// so that reports can show where they came.
    private func seeLateEvents(_ checks: inout [Check]) {
        let matches: [String: EventMatch] = Dictionary(scenario.steps.compactMap { step in
            switch step.action {
            case .expect(let e): (step.location.description, e.match)
            case .expectAbsent(let e): (step.location.description, e.match)
            default: nil
            }
        }, uniquingKeysWith: { first, _ in first })
        let events = log.lifecycleSnapshot()
        for index in checks.indices {
            guard let location = checks[index].location, let match = matches[location], let anchor = checks[index].window?.anchorNs else { continue }
            checks[index].window?.seenNs = events.filter { $0.matches(match) && $0.monoNs >= anchor }.map(\.monoNs)
        }
    }

    private func playSteps() async throws -> [Check] {
        for client in scenario.clients where client.connectAtBegin {
            try await connect(client)
        }
        var checks: [Check] = []
        var anchors = ExpectationAnchors()
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
            anchors.began(step, at: began)
            var stepEvent = RecordedEvent(monoNs: began, event: .step, text: "\(index + 1). \(step.action)")
            stepEvent.seq = index + 1
            log.append(stepEvent)
            logger.info("step \(index + 1) at \(step.location): \(step.action)")
            let check = try await perform(step, index: index, began: began, anchors: anchors)
            anchors.ended(step, began: began)
            // A check limited to other libraries is watched all the same (the timeline keeps its pace), then set aside.
            if let check, let note = scope.setAside(step: step) {
                log.append(RecordedEvent(monoNs: check.decidedAtNs ?? MonotonicClock.nowNs(), event: .log,
                                         text: "not judged: \(check.expected) (\(note))"))
                continue
            }
            if var check {
                check.location = step.location.description
                check.source = step.location
                checks.append(check)
                var e = RecordedEvent(monoNs: check.decidedAtNs ?? MonotonicClock.nowNs(), event: .expectation,
                                      text: "\(check.passed ? "met" : "NOT met"): \(check.expected); observed \(check.observed)")
                e.ok = check.passed
                log.append(e)
                logger.info("\(check.passed ? "met" : "NOT met"): \(check.expected); observed \(check.observed)")
            }
        }
        return checks
    }

    /// Carries out one step; an expectation returns its check.
    private func perform(_ step: Step, index: Int, began: Int64, anchors: ExpectationAnchors) async throws -> Check? {
        switch step.action {
        case .fault(let fault):
            try await inject(fault.base, step: index)
        case .client(let clientAction, let name):
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
        case .heal(.all):
            for active in active.steps { try await heal(step: active) }
        case .heal(.step(let id)):
            if let faultStep = scenario.steps.firstIndex(where: { $0.id == id }) { try await heal(step: faultStep) }
        case .expect(let expectation):
            let (anchor, stepStart) = anchors.anchor(since: expectation.since, stepBegan: began)
            return try await watch { now in expectation.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: stepStart) }
        case .expectAbsent(let expectation):
            let (anchor, stepStart) = anchors.anchor(since: nil, stepBegan: began)
            return try await watch { now in expectation.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: stepStart) }
        case .anyOf(let alternatives):
            let judges: [(Int64) -> StepDecision] = alternatives.compactMap { alternative in
                switch alternative {
                case .expect(let e):
                    let (anchor, stepStart) = anchors.anchor(since: e.since, stepBegan: began)
                    return { now in e.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: stepStart) }
                case .expectAbsent(let e):
                    let (anchor, stepStart) = anchors.anchor(since: nil, stepBegan: began)
                    return { now in e.decide(events: log.lifecycleSnapshot(), anchorNs: anchor, nowNs: now, stepStartNs: stepStart) }
                default: return nil  // the parser allows only expectations
                }
            }
            let labels = alternatives.map { $0.description.replacingOccurrences(of: "expect ", with: "", options: .anchored) }
            return try await watch { now in AnyOfDecision.decide(judges.map { $0(now) }, labels: labels, nowNs: now) }
        }
        return nil
    }

    /// The one path of every fault: record it, apply it, and for a lasting one keep it to heal, at the end of its
    /// `for` or by a `heal` step.
    private func inject(_ fault: any Fault, step: Int) async throws {
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), client: fault.subject.client, server: fault.subject.server, event: .fault, text: fault.description)
        e.fault = fault.reportedName
        log.append(e)
        active.end { fault.ends($0) }
        try await fault.apply(in: self, step: step)
        guard case .untilHealed(let duration) = fault.lasting else { return }
        active.add(fault, step: step)
        if let duration {
            heals.start {
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled else { return }
                try? await heal(step: step)
            }
        }
    }

    /// Heals the lasting fault of timeline step `step`, if it is still in effect, and records it.
    private func heal(step: Int) async throws {
        guard let fault = active.remove(step: step) else { return }
        try await fault.heal(in: self, step: step)
        log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .heal, text: "healed: \(scenario.steps[step].action)"))
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
        let began = MonotonicClock.nowNs(), deadline = began + e.within.nanoseconds
        let window = CheckWindow(server: e.server, anchorNs: began, opensNs: began, closesNs: deadline)
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
                if met { return Check(passed: true, expected: e.condition.expected(server: e.server), observed: seen, decidedAtNs: MonotonicClock.nowNs(), window: window) }
            } catch {
                observed = "\(error)"
            }
            if MonotonicClock.nowNs() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return Check(passed: false, expected: e.condition.expected(server: e.server) + " within \(DurationText.format(e.within))", observed: observed,
                     decidedAtNs: MonotonicClock.nowNs(), window: window)
    }

    /// Sends a probe's requests in the background, recording each outcome as a `request_result` of its stream.
    private func startProbe(_ p: ProbeRequests) {
        let log = self.log, target = probeTarget(p.server)
        var payload = Array("1 \(p.stream)".utf8)
        if let size = p.payloadBytes, size > payload.count { payload += Array(repeating: UInt8(ascii: "."), count: size - payload.count) }
        operations.start { [payload] in
            do {
                _ = try await RequestProbe.requests(target, subject: p.subject, payload: payload, count: p.count, timeout: p.timeout,
                                                    interval: p.interval ?? .zero) { seq, outcome in log.append(Self.event(outcome, of: p, seq: seq)) }
            } catch {
                log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: p.server, event: .log, text: "probe of \(p.subject): \(error)"))
            }
        }
    }

    /// Sends requests one after another until one is answered or the probe's window passes; each is recorded.
    private func probeUntilAnswered(_ p: ProbeRequests) async -> Check {
        let started = MonotonicClock.nowNs()
        let deadline = started + p.within!.nanoseconds
        var window = CheckWindow(server: p.server, anchorNs: started, opensNs: started, closesNs: deadline)
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
                window.seenNs = [e.monoNs]
                return Check(passed: true, expected: expected, observed: "answered after \(String(format: "%.0f", after))ms (request \(tries))", decidedAtNs: e.monoNs, window: window)
            }
            last = e.error?.kind == ErrorKind.noResponders.rawValue ? "no responders" : "timeout"
            try? await Task.sleep(for: p.interval ?? .milliseconds(100))
        }
        return Check(passed: false, expected: expected, observed: "\(tries) request(s), none answered; the last: \(last)", decidedAtNs: MonotonicClock.nowNs(), window: window)
    }

    /// A probe request's outcome as the `request_result` event of its stream, stamped now.
    private static func event(_ outcome: RequestProbe.Outcome, of p: ProbeRequests, seq: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: p.server, event: .requestResult)
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
        let began = MonotonicClock.nowNs(), deadline = began + p.within.nanoseconds
        let window = CheckWindow(server: p.server, anchorNs: began, opensNs: began, closesNs: deadline)
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
                    var e = RecordedEvent(monoNs: askedNs, server: p.server, event: .serviceProbe, text: "\(p.service): \(observation.summary)")
                    e.instances = observation.instances
                    log.append(e)
                    last = observation
                }
                if p.holds(for: observation) { return Check(passed: true, expected: p.expected, observed: observed, decidedAtNs: MonotonicClock.nowNs(), window: window) }
            } catch {
                observed = "\(error)"
            }
            if MonotonicClock.nowNs() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return Check(passed: false, expected: p.expected + " within \(DurationText.format(p.within))", observed: observed, decidedAtNs: MonotonicClock.nowNs(), window: window)
    }

    /// Where natsfault's own probes connect: the server itself (never a proxy link), as its first user if it has users,
    /// and in operator mode as natsfault's probe user (of the first account).
    private func probeTarget(_ server: String) -> RequestProbe.Target {
        RequestProbe.Target(server: scenario.server(named: server)!, jwt: try? credentials?.probeToken())
    }

    private func apply(_ action: ClientAction, to name: String) async throws {
        // The parser allows only faults on applications, never client actions.
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
        case .jsPublish(let p): startLongOperation(driver, .jsPublish(p))
        case .jsConsume(let c): try await expectOK(driver.send(.jsConsume(c)), client: name, op: "js_consume")
        case .jsStop(let sub): record(try await driver.send(.jsStop(sub: sub), timeout: .seconds(10)), client: name, op: "js_stop")
        }
    }

    /// Connects a client and sets up its subscriptions, responders, publishers and requesters.
    func connect(_ client: ClientSpec) async throws {
        guard let driver = drivers[client.name] else { return }
        // The connect's window: a library may try for several connect timeouts. A driver still reporting when it ends is
        // alive and still trying (a refused first connect retried forever): the timeline goes on and the run fails with
        // what the client did meanwhile; only a silent driver is dead.
        let window = (client.options.connectTimeout ?? .seconds(2)) * 3 + .seconds(10)
        let log = self.log, name = client.name
        let recordFailure: @Sendable (DriverAck) -> Void = { ack in
            log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: name, event: .connectFailed,
                                     error: ack.error ?? ClientError(kind: "other", message: "connect failed")))
        }
        guard let ack = try await driver.send(.connect(client, scenario: scenario, directory: credentials?.directory ?? ""), window: window, silence: window, late: { late in
            if case .success(let ack) = late, !ack.ok { recordFailure(ack) }
        }) else {
            var pending = RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client.name, event: .connectPending,
                                        text: "the connect is still going after \(DurationText.format(window)); the timeline goes on without it")
            pending.latencyNs = window.nanoseconds
            log.append(pending)
            return
        }
        guard ack.ok else {
            recordFailure(ack)
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
        operations.start {
            do {
                let ack = try await driver.send(command, timeout: .seconds(3600))
                if !ack.ok {
                    log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: driver.client, event: .log,
                                             error: ack.error, text: "\(op) failed"))
                }
            } catch {
                log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: driver.client, event: .log, text: "\(op): \(error)"))
            }
        }
    }

    /// Setting up a subscription or responder must work, or the scenario cannot be judged.
    private func expectOK(_ ack: DriverAck, client: String, op: String) throws {
        guard ack.ok else {
            throw ScenarioRunError.setupFailed("client \(client): \(op) failed: \(ack.error.map { "\($0)" } ?? "no reason given")")
        }
    }

    private func record(_ ack: DriverAck, client: String, op: String) {
        guard !ack.ok else { return }
        log.append(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, event: .log, error: ack.error, text: "\(op) failed"))
    }

    /// Once publishers and requesters are done: waits for deliveries in flight to arrive.
    private func settle() async throws {
        await withTaskGroup(of: Void.self) { group in
            // At most 3 s each, even for a driver still busy (a connect it keeps retrying): settling is best effort.
            for driver in drivers.values {
                group.addTask { _ = try? await driver.send(.flush(timeout: .seconds(1)), window: .seconds(3), silence: .seconds(3), late: { _ in }) }
            }
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

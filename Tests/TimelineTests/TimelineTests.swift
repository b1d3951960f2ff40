@testable import NATSFaultScenario
@testable import NATSFaultTimeline
import Testing

private let ms: Int64 = 1_000_000

private func event(_ t: Int64, _ client: String, _ name: String, error: String? = nil, url: String? = nil) -> RecordedEvent {
    var e = RecordedEvent(monoNs: t * ms, client: client, event: EventName(rawValue: name), error: error.map { ClientError(kind: $0) })
    e.url = url
    return e
}

private func expectation(_ event: ClientEventKind, within: Int64, notBefore: Int64 = 0, count: CountRange = .atLeastOne,
                         error: ErrorKind? = nil, url: String? = nil) -> EventExpectation {
    EventExpectation(match: EventMatch(client: "app", event: event, error: error, server: url == nil ? nil : "b", serverURL: url),
                     within: .milliseconds(within), notBefore: .milliseconds(notBefore), count: count, since: nil)
}

private func passed(_ d: StepDecision) -> Bool? {
    if case .decided(let c) = d { return c.passed }
    return nil
}

struct EventExpectationTests {
    @Test func openEndedCountPassesAsSoonAsReached() {
        let e = expectation(.reconnected, within: 5000)
        let events = [event(1000, "app", "reconnected")]
        #expect(passed(e.decide(events: events, anchorNs: 0, nowNs: 1001 * ms)) == true)
    }

    /// Without `since`, an expectation measures from the action before it: an event that came while an earlier
    /// expectation was being decided still counts, and the window stays open `within` past the step's own start.
    @Test func measuredFromTheActionItFollows() {
        let e = expectation(.reconnected, within: 2000)
        let early = [event(100, "app", "reconnected")]  // after the heal at 0, before this step began at 300
        #expect(passed(e.decide(events: early, anchorNs: 0, nowNs: 301 * ms, stepStartNs: 300 * ms)) == true)
        #expect(e.decide(events: [], anchorNs: 0, nowNs: 2100 * ms, stepStartNs: 300 * ms) == .pending(deadlineNs: 2300 * ms))
        #expect(passed(e.decide(events: [event(50, "app", "reconnected")], anchorNs: 100 * ms, nowNs: 400 * ms, stepStartNs: 300 * ms)) == nil,
                "an event before the action does not count")
    }

    /// The decided check carries its window, for reports to draw: a late event is seen, past the window's end.
    @Test func theCheckCarriesItsWindowAndTheEventsItSaw() throws {
        let e = expectation(.reconnected, within: 1000, notBefore: 200)
        guard case .decided(let check) = e.decide(events: [event(1500, "app", "reconnected")], anchorNs: 100 * ms, nowNs: 1600 * ms) else {
            Issue.record("not decided")
            return
        }
        let window = try #require(check.window)
        #expect(!check.passed)
        #expect(window == CheckWindow(client: "app", anchorNs: 100 * ms, opensNs: 300 * ms, closesNs: 1300 * ms, seenNs: [1500 * ms]))
    }

    /// What was expected says the window plainly: where it opens and closes, measured from what.
    @Test(arguments: [
        (Optional("down"), Int64(2000), Int64(3000), Optional<Int64>.none, "app: reconnected at least 1 time between +2s and +5s after step \"down\""),
        (Optional("down"), 0, 3000, nil, "app: reconnected at least 1 time within 3s after step \"down\""),
        (nil, 0, 1500, 300, "app: reconnected at least 1 time within 1500ms after the action before it"),
        (nil, 500, 1000, 300, "app: reconnected at least 1 time between +500ms and +1500ms after the action before it"),
        (nil, 0, 1000, 0, "app: reconnected at least 1 time within 1s"),
        (nil, 250, 1000, 0, "app: reconnected at least 1 time between +250ms and +1250ms after it starts"),
    ])
    func theExpectedTextSaysTheWindow(since: String?, notBefore: Int64, within: Int64, stepStart: Int64?, text: String) throws {
        var e = expectation(.reconnected, within: within, notBefore: notBefore)
        e.since = since
        guard case .decided(let check) = e.decide(events: [], anchorNs: 0, nowNs: 10_000 * ms, stepStartNs: stepStart.map { $0 * ms }) else {
            Issue.record("not decided")
            return
        }
        #expect(check.expected == text)
    }

    @Test func theCountSaysTimeOnceAndTimesOtherwise() {
        #expect(expectation(.closed, within: 1000, count: .exactly(1)).windowText(after: nil) == "within 1s")
        func expected(_ count: CountRange) -> String? {
            guard case .decided(let check) = expectation(.closed, within: 1000, count: count).decide(events: [], anchorNs: 0, nowNs: 2000 * ms, stepStartNs: 0) else { return nil }
            return check.expected
        }
        #expect(expected(.exactly(1)) == "app: closed exactly 1 time within 1s")
        #expect(expected(.exactly(0)) == "app: closed exactly 0 times within 1s")
        #expect(expected(CountRange(min: 1, max: 3)) == "app: closed between 1 and 3 times within 1s")
    }

    @Test func staysPendingUntilTheWindowCloses() {
        let e = expectation(.reconnected, within: 5000)
        #expect(e.decide(events: [], anchorNs: 0, nowNs: 4000 * ms) == .pending(deadlineNs: 5000 * ms))
        #expect(passed(e.decide(events: [], anchorNs: 0, nowNs: 5000 * ms)) == false)
    }

    @Test func exactCountWaitsForTheWholeWindowAndFailsOnTooMany() {
        let e = expectation(.disconnected, within: 2000, count: .exactly(1))
        let one = [event(100, "app", "disconnected")]
        #expect(passed(e.decide(events: one, anchorNs: 0, nowNs: 500 * ms)) == nil)
        #expect(passed(e.decide(events: one, anchorNs: 0, nowNs: 2000 * ms)) == true)
        let two = one + [event(300, "app", "disconnected")]
        #expect(passed(e.decide(events: two, anchorNs: 0, nowNs: 400 * ms)) == false)
    }

    @Test func anEventBeforeNotBeforeFails() {
        let e = expectation(.closed, within: 3000, notBefore: 1500)
        guard case .decided(let check) = e.decide(events: [event(900, "app", "closed")], anchorNs: 0, nowNs: 1000 * ms) else {
            Issue.record("should be decided"); return
        }
        #expect(!check.passed)
        #expect(check.observed.contains("too early"))
        #expect(passed(e.decide(events: [event(1600, "app", "closed")], anchorNs: 0, nowNs: 1600 * ms)) == true)
    }

    @Test func aLateEventIsNamedInTheFailure() {
        let e = expectation(.reconnected, within: 1000)
        guard case .decided(let check) = e.decide(events: [event(1500, "app", "reconnected")], anchorNs: 0, nowNs: 1600 * ms) else {
            Issue.record("should be decided"); return
        }
        #expect(!check.passed)
        #expect(check.observed.contains("late, at +1500ms"))
    }

    @Test func eventsBeforeTheAnchorAndOfOtherClientsDoNotCount() {
        let e = expectation(.disconnected, within: 1000)
        let events = [event(50, "app", "disconnected"), event(150, "other", "disconnected")]
        #expect(passed(e.decide(events: events, anchorNs: 100 * ms, nowNs: 1100 * ms)) == false)
    }

    @Test func errorKindAndServerNarrowTheMatch() {
        let byKind = expectation(.closed, within: 1000, error: .noServers)
        #expect(passed(byKind.decide(events: [event(10, "app", "closed", error: "connection_closed")], anchorNs: 0, nowNs: 1000 * ms)) == false)
        #expect(passed(byKind.decide(events: [event(10, "app", "closed", error: "no_servers")], anchorNs: 0, nowNs: 20 * ms)) == true)
        let byServer = expectation(.reconnected, within: 1000, url: "nats://127.0.0.2:4222")
        #expect(passed(byServer.decide(events: [event(10, "app", "reconnected", url: "nats://127.0.0.1:4222")], anchorNs: 0, nowNs: 1000 * ms)) == false)
        #expect(passed(byServer.decide(events: [event(10, "app", "reconnected", url: "nats://127.0.0.2:4222")], anchorNs: 0, nowNs: 20 * ms)) == true)
    }
}

struct AbsenceExpectationTests {
    let absent = AbsenceExpectation(match: EventMatch(client: "app", event: .closed), duration: .seconds(1))

    @Test func failsAtTheFirstMatchingEvent() {
        #expect(passed(absent.decide(events: [event(400, "app", "closed")], anchorNs: 0, nowNs: 500 * ms)) == false)
    }

    @Test func passesOnceTheDurationHasGoneBy() {
        #expect(passed(absent.decide(events: [], anchorNs: 0, nowNs: 999 * ms)) == nil)
        #expect(passed(absent.decide(events: [event(1200, "app", "closed")], anchorNs: 0, nowNs: 1200 * ms)) == true)
    }
}

struct AssertionTests {
    private func published(_ t: Int64, _ from: Int, _ to: Int, ok: Bool = true, error: String? = nil) -> RecordedEvent {
        var e = RecordedEvent(monoNs: t * ms, client: "app", event: .published, error: error.map { ClientError(kind: $0) })
        e.stream = "s"
        e.from = from
        e.to = to
        e.ok = ok
        return e
    }

    private func message(_ t: Int64, _ seq: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: t * ms, client: "app", event: .message)
        e.stream = "s"
        e.sub = "orders"
        e.seq = seq
        return e
    }

    private func accounting(lostOnlyDuringOutage: Bool = false) -> MessageAccounting {
        MessageAccounting(stream: "s", client: "app", subscription: "orders", received: nil, maxLost: 0, maxDuplicated: 0,
                          maxReordered: 0, lostOnlyDuringOutage: lostOnlyDuringOutage)
    }

    @Test func talliesLostDuplicatedAndReordered() {
        let events = [published(0, 1, 5)] + [1, 3, 2, 3, 5].enumerated().map { message(10 + Int64($0.offset), $0.element) }
        let t = accounting().tally(events)
        #expect(t.published == 5)
        #expect(t.received == 5)
        #expect(t.lost == [4])
        #expect(t.duplicated == 1)
        #expect(t.reordered == 1)
        #expect(!Assertion.messages(accounting()).check(events).passed)
    }

    @Test func cleanDeliveryPasses() {
        let events = [published(0, 1, 3)] + (1...3).map { message(10 + Int64($0), $0) }
        let check = Assertion.messages(accounting()).check(events)
        #expect(check.passed, "\(check.observed)")
    }

    /// DRIVER-PROTOCOL lets a flooding driver report received messages as ranges (`from`…`to`), like published ones.
    @Test func messageRangesCountEveryMessageInThem() {
        var range = message(10, 0)
        (range.seq, range.from, range.to) = (nil, 1, 4)
        let events = [published(0, 1, 6), range, message(11, 6), message(12, 6)]
        let t = accounting().tally(events)
        #expect(t.received == 6)
        #expect(t.lost == [5])
        #expect(t.duplicated == 1)
    }

    @Test func lossesCountAsOutageLossesFromTheFaultToTheReconnect() {
        var fault = RecordedEvent(monoNs: 400 * ms, server: "a", event: .fault)
        fault.fault = "kill"
        // Published at 50 (delivered), 200 (in flight 200ms before the fault), 450 (between fault and
        // disconnect), 600 (while disconnected) and 900 (after the reconnect, delivered).
        let events = [published(50, 1, 1), published(200, 2, 2), published(450, 3, 3), published(600, 4, 4), published(900, 5, 5),
                      fault, event(500, "app", "disconnected"), event(800, "app", "reconnected"),
                      message(60, 1), message(910, 5)]
        var a = accounting(lostOnlyDuringOutage: true)
        a.maxLost = nil
        let t = a.tally(events)
        #expect(t.lost == [2, 3, 4])
        #expect(t.lostOutsideOutage.isEmpty)
        #expect(Assertion.messages(a).check(events).passed)
        let withoutOutage = events.filter { $0.event != .disconnected }
        #expect(!Assertion.messages(a).check(withoutOutage).passed)
    }

    /// With more than one server, a reconnected subscriber's interest reaches the other nodes a route trip later:
    /// a message published 3 ms after the reconnect may be lost without blame, one 150 ms after may not. With one
    /// server there is no route, and the outage ends at the reconnect.
    @Test func inAClusterTheOutageEndsOnceTheInterestHasCrossedTheRoutes() {
        var fault = RecordedEvent(monoNs: 400 * ms, server: "a", event: .fault)
        fault.fault = "restart"
        let ready = ["a", "b"].map { RecordedEvent(monoNs: 0, server: $0, event: .serverReady) }
        let base = [published(803, 1, 1), published(950, 2, 2), fault, event(500, "app", "disconnected"), event(800, "app", "reconnected")]
        var a = accounting(lostOnlyDuringOutage: true)
        a.maxLost = nil
        #expect(a.tally(base + ready).lostOutsideOutage == [2])
        #expect(a.tally(base + [ready[0]]).lostOutsideOutage == [1, 2])
    }

    @Test func countsEventsAndChecksOrder() {
        let events = [event(0, "app", "connected"), event(10, "app", "disconnected"), event(20, "app", "reconnected")]
        #expect(Assertion.events(EventMatch(client: "app", event: .reconnected), .exactly(1)).check(events).passed)
        #expect(!Assertion.events(EventMatch(client: "app", event: .closed), .atLeastOne).check(events).passed)
        #expect(Assertion.order(client: "app", events: [.connected, .reconnected]).check(events).passed)
        #expect(!Assertion.order(client: "app", events: [.reconnected, .disconnected]).check(events).passed)
    }

    @Test func judgesPublishOutcomesByErrorKind() {
        let events = [published(0, 1, 7), published(1, 8, 50, ok: false, error: "reconnect_buffer_exceeded")]
        let good = PublishOutcomes(stream: "s", ok: CountRange(min: 1, max: 10), failed: CountRange(min: 40, max: nil), failedError: .reconnectBufferExceeded)
        let check = Assertion.publishes(good).check(events)
        #expect(check.passed, "\(check.observed)")
        #expect(check.observed == "ok 7, failed 43 (43 reconnect_buffer_exceeded)")
        let wrongKind = PublishOutcomes(stream: "s", ok: nil, failed: nil, failedError: .timeout)
        #expect(!Assertion.publishes(wrongKind).check(events).passed)
    }

    @Test func judgesRequestOutcomesAndLatency() {
        var events: [RecordedEvent] = []
        for i in 1...100 {
            var e = RecordedEvent(monoNs: Int64(i) * ms, client: "app", event: .requestResult,
                                  error: i > 90 ? ClientError(kind: "timeout") : nil)
            e.stream = "r"
            e.seq = i
            e.ok = i <= 90
            e.latencyNs = Int64(i) * 100_000
            events.append(e)
        }
        let ok = RequestOutcomes(stream: "r", outcomes: ["ok": .exactly(90), "timeout": CountRange(min: 0, max: 10)], p99Below: .milliseconds(10))
        #expect(Assertion.requests(ok).check(events).passed)
        let strict = RequestOutcomes(stream: "r", outcomes: ["ok": .exactly(90)], p99Below: .milliseconds(5))
        #expect(!Assertion.requests(strict).check(events).passed)
        let noTimeouts = RequestOutcomes(stream: "r", outcomes: ["timeout": .exactly(0)], p99Below: nil)
        #expect(!Assertion.requests(noTimeouts).check(events).passed)
    }
}

struct OutageWindowTests {
    /// Whether a message published at `publishedAt` and lost counts as lost outside an outage,
    /// given one fault at 1000 ms and a disconnect/reconnect after it.
    func lostOutside(fault name: String, publishedAt: Int64) -> Bool {
        var fault = RecordedEvent(monoNs: 1000 * ms, server: "a", event: .fault)
        fault.fault = name
        var message = RecordedEvent(monoNs: publishedAt * ms, client: "app", event: .published)
        (message.stream, message.seq, message.ok) = ("s", 1, true)
        let events = [message, fault, event(1900, "app", "disconnected"), event(2500, "app", "reconnected")]
        let a = MessageAccounting(stream: "s", client: "app", subscription: "", received: nil, maxLost: nil, maxDuplicated: nil,
                                  maxReordered: nil, lostOnlyDuringOutage: true)
        return a.tally(events).lostOutsideOutage == [1]
    }

    @Test func aMessageInFlightWhenTheFaultStruckIsAnOutageLoss() {
        #expect(!lostOutside(fault: "kill", publishedAt: 900))
        #expect(!lostOutside(fault: "kill", publishedAt: 1500))
    }

    @Test func aLossLongBeforeTheFaultIsNotAnOutageLoss() {
        #expect(lostOutside(fault: "kill", publishedAt: 500))
    }

    @Test func aStartOrResumeDoesNotBeginAnOutage() {
        #expect(lostOutside(fault: "start", publishedAt: 1500))
        #expect(lostOutside(fault: "resume", publishedAt: 1500))
    }
}

struct EditDistanceTests {
    @Test func aSwapOfNeighboursIsOneEdit() {
        #expect(editDistance("wihtin", "within") == 1)
        #expect(editDistance("pign_interval", "ping_interval") == 1)
        #expect(editDistance("", "abc") == 3)
    }
}

struct ServiceObservationTests {
    /// ADR-32 v1 replies (nats.py), as the service's instances answer `$SRV.PING|INFO|STATS`.
    @Test func readsVersionOneReplies() {
        let ping: [[String: Any]] = [["type": "io.nats.micro.v1.ping_response", "id": "A", "name": "orders"],
                                     ["type": "io.nats.micro.v1.ping_response", "id": "B", "name": "orders"],
                                     ["type": "io.nats.micro.v1.ping_response", "id": "B", "name": "orders"]]
        let info: [[String: Any]] = [["id": "A", "endpoints": [["name": "get", "subject": "orders.get"], ["name": "put", "subject": "orders.put"]]]]
        let stats: [[String: Any]] = [["id": "A", "endpoints": [["num_requests": 5, "num_errors": 1], ["num_requests": 2, "num_errors": 0]]],
                                      ["id": "B", "endpoints": [["num_requests": 3, "num_errors": 0]]]]
        let o = ServiceObservation(ping: ping, info: info, stats: stats)
        #expect(o == ServiceObservation(instances: 2, subjects: ["orders.get", "orders.put"], requests: 10, errors: 1))
        #expect(o.summary == "2 instances; subjects orders.get, orders.put; 10 requests, 1 errors")
    }

    /// nats.go 1.22's earlier replies: one endpoint per service, counts at the top.
    @Test func readsTheEarlierShape() {
        let o = ServiceObservation(ping: [["id": "G", "name": "orders"]], info: [["id": "G", "subject": "orders.get"]],
                                   stats: [["id": "G", "num_requests": 4, "num_errors": 2]])
        #expect(o == ServiceObservation(instances: 1, subjects: ["orders.get"], requests: 4, errors: 2))
    }

    @Test func aProbeHoldsOnlyWhenEveryConditionDoes() {
        let probe = ServiceProbe(service: "orders", server: "a", within: .seconds(1), instances: .exactly(2), subjects: ["orders.get"],
                                 requests: CountRange(min: 1, max: nil), errors: nil)
        #expect(probe.holds(for: ServiceObservation(instances: 2, subjects: ["orders.get", "orders.put"], requests: 1, errors: 0)))
        #expect(!probe.holds(for: ServiceObservation(instances: 3, subjects: ["orders.get"], requests: 1, errors: 0)))
        #expect(!probe.holds(for: ServiceObservation(instances: 2, subjects: ["orders.put"], requests: 1, errors: 0)))
        #expect(!probe.holds(for: ServiceObservation(instances: 2, subjects: ["orders.get"], requests: 0, errors: 0)))
        #expect(!probe.holds(for: ServiceObservation(instances: 2, subjects: nil, requests: nil, errors: nil)), "not asked is not shown")
    }

    @Test func failedRequestsMustComeFastWhenAsked() {
        func result(_ latencyMs: Int64, ok: Bool) -> RecordedEvent {
            var e = RecordedEvent(monoNs: latencyMs, event: .requestResult)
            (e.stream, e.ok, e.latencyNs) = ("r", ok, latencyMs * 1_000_000)
            if !ok { e.error = ClientError(kind: "no_responders") }
            return e
        }
        let fast = RequestOutcomes(stream: "r", outcomes: ["no_responders": .exactly(2)], p99Below: nil, eachBelow: .milliseconds(100))
        #expect(Assertion.requests(fast).check([result(3, ok: false), result(40, ok: false)]).passed)
        #expect(!Assertion.requests(fast).check([result(3, ok: false), result(1900, ok: false)]).passed)
        #expect(!Assertion.requests(fast).check([]).passed)
    }
}

struct WireErrorTests {
    private func serverErr(_ t: Int64, _ client: String, _ text: String) -> RecordedEvent {
        RecordedEvent(monoNs: t * ms, client: client, server: "a", event: .serverErr, error: ClientError(kind: "other", message: text))
    }

    /// Events fed in the order they are recorded, annotated.
    private func annotated(_ events: [RecordedEvent]) -> [RecordedEvent] {
        var wire = WireErrors()
        return events.map { e in
            var e = e
            wire.annotate(&e)
            return e
        }
    }

    @Test func aClientsEventsRightAfterItsServersErrCarryTheText() {
        let out = annotated([
            event(0, "app", "connected"),
            serverErr(10, "app", "maximum connections exceeded"),
            event(11, "other", "disconnected"),  // another client: its own link
            event(12, "app", "connect_failed", error: "protocol_error"),
            event(13, "app", "error"),
            event(10 + 500, "app", "closed"),  // the window's last instant
            event(10 + 501, "app", "disconnected"),  // past it
        ])
        #expect(out.map(\.wireError) == [nil, nil, nil, "maximum connections exceeded", "maximum connections exceeded", "maximum connections exceeded", nil])
        #expect(out[3].errorDescription == "protocol_error; the server said 'maximum connections exceeded'")
    }

    /// A new connection ends it: `reconnected` and what follows belong to the next connection, and events from before
    /// the `-ERR` that are recorded after it (a driver's pipe is slower than the proxy) are not blamed on it.
    @Test func aNewConnectionOrAnEarlierEventDoesNotCarryIt() {
        let out = annotated([
            serverErr(10, "app", "Stale Connection"),
            event(9, "app", "error"),
            event(11, "app", "disconnected"),
            event(20, "app", "reconnected"),
            event(30, "app", "disconnected"),
        ])
        #expect(out.map(\.wireError) == [nil, nil, "Stale Connection", nil, nil])
    }

    @Test func expectationsMatchASubstringIgnoringCase() {
        let events = annotated([serverErr(10, "app", "Maximum Payload Violation"), event(11, "app", "closed")])
        func count(_ text: String) -> Bool {
            Assertion.events(EventMatch(client: "app", event: .closed, wireError: text), .exactly(1)).check(events).passed
        }
        #expect(count("maximum payload"))
        #expect(count("Maximum Payload Violation"))
        #expect(!count("maximum connections"))
    }
}

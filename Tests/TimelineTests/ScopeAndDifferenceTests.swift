@testable import NATSFaultScenario
@testable import NATSFaultTimeline
import Testing

private let ms: Int64 = 1_000_000

private func scenario(_ yaml: String) throws -> Scenario {
    try ScenarioParser.parse(yaml, file: "inline.yaml", shippedDrivers: ["c", "go", "python"])
}

private let yaml = """
    servers: [{name: a}]
    clients:
      - {name: app, connect: false}
      - {name: pinned, driver: go, publish: [{subject: s, count: 3}]}
    timeline:
      - {id: dial, connect: app}
      - id: fails
        expect: {client: app, event: connect_failed, since: dial, within: 3s}
      - expect: {client: app, event: closed, within: 1s}
        drivers: [python]
    assert:
      - events: {client: app, event: connected, count: 0}
        drivers: [c]
      - publishes: {stream: s, ok: 3}
        drivers: [python]
    known_differences:
      - {drivers: [python], library_versions: ">=2.6, <3", step: fails, finding: F1, reason: retries its first connect, observed: "none"}
    """

struct CheckScopeTests {
    @Test func aCheckIsJudgedOnlyForTheLibrariesItNames() throws {
        let s = try scenario(yaml)
        let c = CheckScope(scenario: s, runDriver: "c"), python = CheckScope(scenario: s, runDriver: "python")
        #expect(c.setAside(step: s.steps[2]) == "checked only for python; this run's driver is c")
        #expect(python.setAside(step: s.steps[2]) == nil)
        #expect(c.setAside(assertion: 0) == nil)
        #expect(python.setAside(assertion: 0) == "checked only for c; this run's driver is python")
        // The stream's publisher pins go, whatever the run's library: a check limited to python is never its.
        #expect(python.setAside(assertion: 1) == "checked only for python; this run's driver is go")
        #expect(c.setAside(step: s.steps[1]) == nil, "an unscoped check is judged everywhere")
    }

    @Test func aDeclaredDifferenceMarksItsCheckAsDifferingOrGone() throws {
        let s = try scenario(yaml)
        let location = s.steps[1].location.description
        let failed = Check(passed: false, expected: "…", observed: "none", location: location)
        var checks = [failed]
        CheckScope(scenario: s, runDriver: "python", libraryVersions: ["app": "nats.py 2.16.0"]).markDifferences(&checks)
        #expect(checks[0].difference == DifferenceMark(finding: "F1", reason: "retries its first connect", gone: false))
        #expect(!checks[0].fails)

        var passing = [Check(passed: true, expected: "…", observed: "1 at +1005ms", location: location)]
        CheckScope(scenario: s, runDriver: "python", libraryVersions: ["app": "nats.py 2.16.0"]).markDifferences(&passing)
        #expect(passing[0].difference?.gone == true)

        // Another library, a version outside the bounds, or another failure than the declared one: a plain failure.
        for (driver, version, observed) in [("c", "nats.c 3.4.1", "none"), ("python", "nats.py 3.0.1", "none"), ("python", "nats.py 2.16.0", "it came too early, at +3ms")] {
            var other = [Check(passed: false, expected: "…", observed: observed, location: location)]
            CheckScope(scenario: s, runDriver: driver, libraryVersions: ["app": version]).markDifferences(&other)
            #expect(other[0].difference == nil && other[0].fails, "\(driver) \(version) \(observed)")
        }
    }

    @Test func versionBoundsCompareNumberByNumber() throws {
        let bounds = [">=2.6", "<3"].compactMap(VersionConstraint.init)
        #expect(bounds.count == 2)
        #expect(["2.6", "2.16.0", "v2.10.1", "2.99"].allSatisfy { v in bounds.allSatisfy { $0.admits(v) } })
        #expect(!["2.5.9", "3.0.0", "10"].contains { v in bounds.allSatisfy { $0.admits(v) } })
        #expect(VersionConstraint("~2.6") == nil && VersionConstraint(">=two") == nil)
        #expect(VersionConstraint("= 2.16.0")?.admits("2.16") == true)
    }
}

struct AnyOfTests {
    private func decided(_ passed: Bool, _ observed: String) -> StepDecision {
        .decided(Check(passed: passed, expected: "x", observed: observed, decidedAtNs: 5 * ms))
    }

    @Test func metByTheFirstAlternativeMetAndSaysWhich() {
        let d = AnyOfDecision.decide([decided(false, "none"), decided(true, "1 at +4ms")], labels: ["a", "b"], nowNs: 9 * ms)
        guard case .decided(let check) = d else { Issue.record("not decided"); return }
        #expect(check.passed && check.observed == "(2) was met: 1 at +4ms" && check.expected == "one of: (1) a or (2) b")
    }

    @Test func pendingWhileOneMayStillBeMetThenFailedWithWhatEachSaw() {
        #expect(AnyOfDecision.decide([decided(false, "none"), .pending(deadlineNs: 7 * ms)], labels: ["a", "b"], nowNs: ms) == .pending(deadlineNs: 7 * ms))
        let d = AnyOfDecision.decide([decided(false, "none"), decided(false, "2 at +1ms")], labels: ["a", "b"], nowNs: 9 * ms)
        guard case .decided(let check) = d else { Issue.record("not decided"); return }
        #expect(!check.passed && check.observed == "none was met: (1) none; (2) 2 at +1ms")
    }
}

struct BySeqTests {
    private func published(_ seq: Int, ok: Bool, kind: String? = nil, callMs: Double) -> RecordedEvent {
        var e = RecordedEvent(monoNs: Int64(seq) * ms, client: "app", event: .published, error: kind.map { ClientError(kind: $0) })
        (e.stream, e.seq, e.ok, e.callNs) = ("s", seq, ok, Int64(callMs * 1e6))
        return e
    }

    @Test func eachNamedMessageHasItsOutcomeAndTime() {
        let events = [published(1, ok: true, callMs: 0.01), published(2, ok: true, callMs: 0.01),
                      published(3, ok: false, kind: "reconnect_buffer_exceeded", callMs: 0.02)]
        var outcomes = PublishOutcomes(stream: "s", ok: nil, failed: nil, failedError: nil)
        outcomes.bySeq = [SeqOutcome(seqs: 1...2, outcome: .ok, within: nil),
                          SeqOutcome(seqs: 3...3, outcome: .failed(.reconnectBufferExceeded), within: .milliseconds(5))]
        #expect(Assertion.publishes(outcomes).check(events).passed)

        // A publish that blocks 300 ms before failing, and one that failed instead of succeeding.
        let slow = [published(1, ok: true, callMs: 0.01), published(2, ok: false, kind: "timeout", callMs: 1),
                    published(3, ok: false, kind: "reconnect_buffer_exceeded", callMs: 300)]
        let check = Assertion.publishes(outcomes).check(slow)
        #expect(!check.passed)
        #expect(check.observed.contains("#2 failed with timeout") && check.observed.contains("#3 failed with reconnect_buffer_exceeded after 300ms"), "\(check.observed)")
    }

    @Test func aMessageWithNoOutcomeOrNoCallTimeFails() {
        var e = RecordedEvent(monoNs: ms, client: "app", event: .published, error: ClientError(kind: "timeout"))
        (e.stream, e.seq, e.ok) = ("s", 1, false)
        var outcomes = PublishOutcomes(stream: "s", ok: nil, failed: nil, failedError: nil)
        outcomes.bySeq = [SeqOutcome(seqs: 1...2, outcome: .failed(nil), within: .milliseconds(5))]
        let check = Assertion.publishes(outcomes).check([e])
        #expect(!check.passed && check.observed.contains("#1: the driver reports no time") && check.observed.contains("#2: no outcome reported"), "\(check.observed)")
    }
}

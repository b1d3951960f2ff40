import Foundation
import NATSFaultReporting
import NATSFaultTimeline
import Testing

/// Reports compared with reviewed golden files; `NATSFAULT_UPDATE_GOLDEN=1 swift test` rewrites them.
struct GoldenReportTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func sample() -> [ScenarioResult] {
        let start: Int64 = 1_000_000_000
        func at(_ ms: Int64) -> Int64 { start + ms * 1_000_000 }
        var connected = RecordedEvent(monoNs: at(4), client: "app", event: .connected)
        connected.url = "nats://127.0.0.1:4222"
        var published = RecordedEvent(monoNs: at(30), client: "app", event: .published)
        published.stream = "s"
        published.from = 1
        published.to = 100
        published.ok = true
        let events = [
            RecordedEvent(monoNs: at(-1), server: "a", event: .serverReady, text: "pid 9, nats-server 2.15.1"),
            connected,
            RecordedEvent(monoNs: at(5), event: .step, text: "1. kill server a (SIGKILL)"),
            RecordedEvent(monoNs: at(5), server: "a", event: .fault, text: "kill server a (SIGKILL)"),
            RecordedEvent(monoNs: at(6), client: "app", event: .disconnected),
            published,
            RecordedEvent(monoNs: at(2006), client: "app", event: .closed, error: ClientError(kind: "no_servers", message: "No server available for connection", native: "NATS_NO_SERVER")),
        ]
        let failed = ScenarioResult(
            scenario: "crash <&> \"quoted\"", file: "scenarios/crash.yaml", description: "A crash.", client: "c", serverVersion: "2.15.1",
            outcome: .failed, wallSeconds: 2.5, timelineSeconds: 2.1, startNs: start,
            checks: [
                Check(passed: true, expected: "app: disconnected at least 1 time within 2s after step \"kill\"", observed: "1 at +1ms", location: "scenarios/crash.yaml:12:5"),
                Check(passed: false, expected: "app: reconnected at least 1 time between +2s and +5s after step \"kill\"", observed: "none", location: "scenarios/crash.yaml:13:5"),
            ],
            events: events, logs: ["server a": "[9] Server is ready"])
        let passed = ScenarioResult(scenario: "restart", file: "scenarios/restart.yaml", description: "", client: "c", serverVersion: "2.9.10",
                                    outcome: .passed, wallSeconds: 0.75)
        let skipped = ScenarioResult(scenario: "new-only", file: "scenarios/new.yaml", description: "", client: "c", serverVersion: "2.9.10",
                                     outcome: .skipped, reason: "applies to nats-server 2.15")
        return [failed, passed, skipped]
    }

    func compare(_ text: String, _ name: String) throws {
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["NATSFAULT_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "differs from Golden/\(name); if the change is intended, rerun with NATSFAULT_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func junitHasATestcasePerRunWithTheReadableReport() throws {
        try compare(JUnitReporter.xml(Self.sample()), "junit.xml")
    }

    @Test func failureReportShowsExpectedObservedAndTimeline() throws {
        try compare(FailureReport.text(for: Self.sample()[0]) + "\n", "failure-report.txt")
    }

    /// An event line says each thing once: an error event names its error (not `error error`), and a library message
    /// or native code that repeats the kind is left out.
    @Test func eventLinesSayEachThingOnce() {
        var run = Self.sample()[0]
        run.events = [
            RecordedEvent(monoNs: run.startNs + 1_000_000, client: "app", event: EventName(.error), error: ClientError(kind: "timeout", message: "TimeoutError")),
            RecordedEvent(monoNs: run.startNs + 2_000_000, client: "app", event: EventName(.error), error: ClientError(kind: "timeout", message: "timeout", native: "TIMEOUT")),
            RecordedEvent(monoNs: run.startNs + 3_000_000, client: "app", event: .closed, error: ClientError(kind: "no_servers", native: "NATS_NO_SERVER")),
        ]
        let text = FailureReport.text(for: run)
        #expect(text.contains("+1.0ms      client app: error timeout \"TimeoutError\"\n"), "\(text)")
        #expect(text.contains("+2.0ms      client app: error timeout\n"), "\(text)")
        #expect(text.contains("+3.0ms      client app: closed error no_servers [NATS_NO_SERVER]\n"), "\(text)")
        #expect(!text.contains("error error"), "\(text)")
    }

    @Test func consoleLinesNameVerdictAndDuration() {
        let lines = Self.sample().map { ConsoleReporter.line(for: $0) }
        #expect(lines[0] == "FAIL  crash <&> \"quoted\" [c × nats-server 2.15.1]  2.5s")
        #expect(lines[1] == "PASS  restart [c × nats-server 2.9.10]  0.8s")
        #expect(lines[2].hasPrefix("SKIP  new-only") && lines[2].hasSuffix("(applies to nats-server 2.15)"))
        #expect(ConsoleReporter.summary(Self.sample(), wallSeconds: 3.25) == "1 passed, 1 failed, 1 skipped (0 of the failures were errors) in 3.3s")
    }

    @Test func jsonCarriesEveryEvent() throws {
        let data = try ResultsDocument(SuiteHistory(results: Self.sample(), wallSeconds: 3.25)).data()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 3)
        #expect((runs[0]["events"] as? [Any])?.count == 7)
        #expect(object["format"] as? String == "natsfault-results")
    }
}

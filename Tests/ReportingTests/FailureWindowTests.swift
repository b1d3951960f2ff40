import NATSFaultReporting
import NATSFaultTimeline
import Testing

/// The failure account keeps the cause in view: the steps, faults and heals of the whole run, and every event of the
/// clients a failing check concerns around its window, however many messages flowed.
struct FailureWindowTests {
    static let start: Int64 = 1_000_000_000
    static func at(_ ms: Int64) -> Int64 { start + ms * 1_000_000 }

    /// 100 messages a second for 20 s, a blackhole from 5 s to 8 s swallowing 300 of them, the messages check failing.
    static func run() -> ScenarioResult {
        var events: [RecordedEvent] = []
        for seq in 1...2000 {
            let t = at(Int64(seq) * 10)
            var p = RecordedEvent(monoNs: t, client: "publisher", event: .published)
            (p.stream, p.seq, p.ok) = ("orders", seq, true)
            events.append(p)
            guard !(501...800).contains(seq) else { continue }
            var m = RecordedEvent(monoNs: t + 1_000_000, client: "subscriber", event: .message)
            (m.stream, m.seq) = ("orders", seq)
            events.append(m)
        }
        var fault = RecordedEvent(monoNs: at(5000), client: "subscriber", event: .fault, text: "proxy blackhole on subscriber → every server for 3s")
        fault.fault = "blackhole"
        events.append(fault)
        events.append(RecordedEvent(monoNs: at(8000), event: .heal, text: "healed: proxy blackhole on subscriber → every server for 3s"))
        events.append(RecordedEvent(monoNs: at(19_000), client: "other", event: .log, text: "unrelated note"))
        events.sort { $0.monoNs < $1.monoNs }
        var window = CheckWindow(client: "subscriber", anchorNs: at(5010), opensNs: at(5010), closesNs: at(8000))
        window.otherClients = ["publisher"]
        let check = Check(passed: false, expected: "stream orders at subscriber: lost at most 0", observed: "lost 300; lost seqs 501-800",
                          location: "assert[0]", window: window)
        return ScenarioResult(scenario: "blip", file: "blip.yaml", description: "", client: "c", serverVersion: "2.15.1", outcome: .failed,
                              startNs: start, checks: [check], events: events)
    }

    @Test func theFaultTheHealAndTheGapAreAllInView() {
        let text = FailureReport.text(for: Self.run())
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count < 30, "collapsed, not cut: \(lines.count) lines\n\(text)")
        #expect(text.contains("every event of clients publisher, subscriber from +4010.0ms to +8500.0ms"))
        #expect(text.contains("subscriber: fault — proxy blackhole on subscriber"))
        #expect(text.contains("harness: heal — healed: proxy blackhole"))
        // The received messages before and after the gap are separate lines; the lost ones never appear as received.
        #expect(lines.contains { $0.contains("client subscriber:") && $0.contains("(seq 401-499), 100/s") }, "\(text)")
        #expect(lines.contains { $0.contains("client subscriber:") && $0.contains("(seq 801-849)") }, "\(text)")
        #expect(!lines.contains { $0.contains("client subscriber:") && $0.contains("seq 5") && $0.contains("-6") })
        #expect(text.contains("other events outside the focus left out"))
        #expect(!text.contains("unrelated note"))
    }

    /// A failure with no window (an error, or a count over the whole run) shows the whole run, still collapsed.
    @Test func withoutAWindowTheWholeRunIsShown() {
        var run = Self.run()
        run.checks[0].window = nil
        let text = FailureReport.text(for: run)
        #expect(text.contains("unrelated note") && !text.contains("left out"))
        #expect(text.split(separator: "\n").count < 30)
    }
}

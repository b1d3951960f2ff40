import Foundation
@testable import NATSFaultReporting
import NATSFaultTimeline
import Testing

/// The HTML report's timeline, message charts and page, over synthetic timelines: which lanes, spans, windows and
/// marks a run gets, and where they are drawn.
struct HTMLReportTests {
    static let start: Int64 = 1_000_000_000_000
    static let ms: Int64 = 1_000_000

    /// An event `offset` ms after the timeline's start.
    static func event(_ offset: Int64, _ name: EventName, client: String? = nil, server: String? = nil, fault: String? = nil,
                      text: String? = nil, error: String? = nil, stream: String? = nil, seq: Int? = nil, ok: Bool? = nil) -> RecordedEvent {
        var e = RecordedEvent(monoNs: start + offset * ms, client: client, server: server, event: name, error: error.map { ClientError(kind: $0) }, text: text)
        (e.fault, e.stream, e.seq, e.ok) = (fault, stream, seq, ok)
        return e
    }

    static func result(_ events: [RecordedEvent], checks: [Check] = [], outcome: ScenarioResult.Outcome = .passed, seconds: Double = 5) -> ScenarioResult {
        ScenarioResult(scenario: "synthetic", file: "synthetic.yaml", description: "a synthetic run", client: "c", serverVersion: "2.15.1",
                       outcome: outcome, timelineSeconds: seconds, startNs: start, checks: checks, events: events)
    }

    static func spans(_ lane: TimelineChart.Lane) -> [String] {
        lane.spans.map { "\($0.state.rawValue) \($0.fromNs / ms)…\($0.toNs / ms)" }
    }

    /// A server restart under a client: the server is restarting from the fault until it is ready again (its exit in
    /// between does not end it); the client reconnects; the fault is a mark on the server's lane.
    @Test func aRestartGivesServerAndClientLanesTheirStates() {
        let chart = TimelineChart(Self.result([
            Self.event(-300, .serverReady, server: "a"),
            Self.event(-200, .connected, client: "app"),
            Self.event(0, .fault, server: "a", fault: "restart", text: "restart server a (SIGTERM, down 500ms)"),
            Self.event(40, .serverExited, server: "a", text: "status 0"),
            Self.event(45, .disconnected, client: "app"),
            Self.event(600, .serverReady, server: "a"),
            Self.event(800, .reconnected, client: "app"),
            Self.event(900, EventName(.error), client: "app", error: "stale_connection"),
        ]))
        #expect(chart.fromNs == -300 * Self.ms && chart.toNs == 5000 * Self.ms)
        #expect(chart.lanes.map { "\($0.kind.rawValue) \($0.name)" } == ["server a", "client app"])
        #expect(Self.spans(chart.lanes[0]) == ["running -300…0", "restarting 0…600", "running 600…5000"])
        #expect(chart.lanes[0].marks.map { "\($0.kind.rawValue) \($0.label) \($0.atNs / Self.ms)" } == ["fault restart 0"])
        #expect(Self.spans(chart.lanes[1]) == ["connected -200…45", "reconnecting 45…800", "connected 800…5000"])
        #expect(chart.lanes[1].marks.map { "\($0.kind.rawValue) \($0.label) \($0.atNs / Self.ms)" } == ["error stale_connection 900"])
    }

    /// A client that disconnects and never comes back is disconnected, not reconnecting; one that closes is closed,
    /// and its lane ends when its process exits.
    @Test func aClientThatDoesNotRecoverIsDisconnectedThenClosed() {
        let chart = TimelineChart(Self.result([
            Self.event(0, .connected, client: "app"),
            Self.event(100, .disconnected, client: "app"),
            Self.event(2000, .closed, client: "app", error: "no_servers"),
            Self.event(2100, .exited, client: "app", text: "status 0"),
        ]))
        #expect(Self.spans(chart.lanes[0]) == ["connected 0…100", "disconnected 100…2000", "closed 2000…2100"])
        #expect(chart.lanes[0].marks.map(\.kind) == [.exit])
    }

    /// Two link faults that overlap each end at their own heal, whichever heals first; a one-shot fault is a mark in
    /// a lane of its own; a paused client's fault ends at its resume, which has no heal.
    @Test func overlappingFaultsEndAtTheirOwnHeals() {
        let chart = TimelineChart(Self.result([
            Self.event(1000, .fault, client: "x", server: "a", fault: "blackhole", text: "proxy blackhole client x"),
            Self.event(1500, .fault, client: "y", server: "a", fault: "blackhole", text: "proxy blackhole client y"),
            Self.event(2500, .heal, text: "healed: proxy blackhole client y"),
            Self.event(3000, .heal, text: "healed: proxy blackhole client x"),
            Self.event(3200, .fault, client: "x", server: "a", fault: "reset", text: "proxy reset client x"),
            Self.event(3500, .fault, client: "y", fault: "pause_client", text: "pause client y (SIGSTOP)"),
            Self.event(4000, .fault, client: "y", fault: "resume_client", text: "resume client y (SIGCONT)"),
            Self.event(4200, .fault, fault: "firewall_drop", text: "firewall DROP port 4222"),
        ]))
        let faults = chart.lanes.filter { $0.kind == .fault }
        #expect(faults.map(\.name) == ["proxy blackhole client x", "proxy blackhole client y", "proxy reset client x", "pause client y (SIGSTOP)",
                                       "firewall DROP port 4222"])
        #expect(faults.map { Self.spans($0) } == [["in-effect 1000…3000"], ["in-effect 1500…2500"], [], ["in-effect 3500…4000"], ["in-effect 4200…5000"]])
        #expect(faults[2].marks.map { "\($0.kind.rawValue) \($0.label) \($0.atNs / Self.ms)" } == ["fault reset 3200"])
        #expect(faults[0].spans[0].label.hasSuffix("healed at +3.000s"))
        // The resume is no fault lane of its own: it shows on its client's lane.
        #expect(chart.lanes.last?.name == "y" && chart.lanes.last?.marks.map(\.label) == ["resume_client"])
    }

    /// An expectation window lies over the lane it watched, green or red, with its matching events marked; one seen
    /// after the window closed is drawn right of it, as outside.
    @Test func aLateEventIsDrawnOutsideItsFailedWindow() throws {
        let window = CheckWindow(client: "app", anchorNs: Self.start, opensNs: Self.start + 500 * Self.ms, closesNs: Self.start + 2000 * Self.ms,
                                 seenNs: [Self.start + 1000 * Self.ms, Self.start + 3000 * Self.ms])
        let checks = [Check(passed: true, expected: "app: connected", observed: "ok"),
                      Check(passed: false, expected: "app: reconnected once within 1.5s", observed: "1 late", window: window)]
        let chart = TimelineChart(Self.result([Self.event(0, .connected, client: "app")], checks: checks, outcome: .failed))
        let drawn = try #require(chart.lanes.first?.windows.first)
        #expect(drawn.check == 1 && !drawn.passed)
        #expect([drawn.anchorNs, drawn.opensNs, drawn.closesNs] == [0, 500 * Self.ms, 2000 * Self.ms])
        #expect(drawn.seenNs.map(drawn.isOutside) == [false, true])

        let drawing = chart.drawing(checkLink: { "#check-7-\($0)" })
        let scale = chart.scale
        let rect = try #require(drawing.shapes("window failed").first)
        guard case .rect(let x, let y, let width, _, _, _, let link) = rect else { Issue.record("the window is not a rectangle"); return }
        #expect(abs(x - scale.x(500 * Self.ms)) < 0.001 && abs(x + width - scale.x(2000 * Self.ms)) < 0.001)
        #expect(y >= TimelineChart.axisHeight && link == "#check-7-1")
        let inside = drawing.shapes("seen").filter { !$0.style.contains("outside") }
        let outside = drawing.shapes("seen outside")
        #expect(inside.count == 1 && outside.count == 1)
        #expect(rect.xRange.contains(inside[0].xRange.lowerBound))
        #expect(outside[0].xRange.lowerBound > rect.xRange.upperBound)
        #expect(outside[0].title?.contains("outside the window +0.500s … +2.000s") == true)
        #expect(drawing.shapes("window passed").isEmpty)
    }

    /// A window whose lane had no events of its own (a server check) gets a lane; one that closes after the run
    /// ended (met early) is cut at the chart's end, which is the run's.
    @Test func aWindowWithoutEventsOfItsLaneStillGetsALane() throws {
        let window = CheckWindow(server: "b", anchorNs: Self.start, opensNs: Self.start, closesNs: Self.start + 9000 * Self.ms)
        let chart = TimelineChart(Self.result([Self.event(5000, .teardown)], checks: [Check(passed: true, expected: "b: 0 connections", observed: "0", window: window)]))
        #expect(chart.lanes.map { "\($0.kind.rawValue) \($0.name) \($0.windows.count)" } == ["server b 1"])
        #expect(chart.toNs == 5000 * Self.ms && chart.teardownNs == 5000 * Self.ms)
        let drawing = chart.drawing()
        let rect = try #require(drawing.shapes("window passed cut").first)
        #expect(abs(rect.xRange.upperBound - chart.scale.x(5000 * Self.ms)) < 0.001)
        #expect(drawing.shapes("teardown").first?.xRange == rect.xRange.upperBound...rect.xRange.upperBound)
    }

    /// A run with no events (skipped, or an error before the timeline) has no lanes, only its time axis.
    @Test func aRunWithNoEventsHasNoLanes() {
        let chart = TimelineChart(Self.result([], outcome: .skipped, seconds: 0))
        #expect(chart.lanes.isEmpty && chart.fromNs == 0 && chart.toNs == 1)
        let drawing = chart.drawing()
        #expect(drawing.height == TimelineChart.axisHeight + 4 && drawing.shapes("span").isEmpty && drawing.shapes("window").isEmpty)
        #expect(MessageChart.charts(Self.result([]), timeline: chart).isEmpty)
    }

    /// Published and received per 100 ms; a published sequence number never received is lost, in the bucket it was
    /// published in; the subscriber's outage and the fault are shaded.
    @Test func messagesAreCountedPerBucketWithLostSequenceNumbers() throws {
        var events: [RecordedEvent] = [Self.event(0, .connected, client: "sub")]
        for seq in 1...10 { events.append(Self.event(Int64(seq) * 50, .published, client: "pub", stream: "orders", seq: seq, ok: true)) }
        events.append(Self.event(160, .fault, client: "sub", server: "a", fault: "blackhole", text: "proxy blackhole client sub"))
        events.append(Self.event(170, .disconnected, client: "sub"))
        for seq in [1, 2, 3, 7, 8, 9, 10] { events.append(Self.event(Int64(seq) * 50 + 5, .message, client: "sub", stream: "orders", seq: seq)) }
        events.append(Self.event(340, .heal, text: "healed: proxy blackhole client sub"))
        events.append(Self.event(345, .reconnected, client: "sub"))
        events.append(Self.event(900, .teardown))
        events.append(Self.event(950, .disconnected, client: "sub"))  // its server stopped by the teardown: no outage
        let result = Self.result(events.sorted { $0.monoNs < $1.monoNs }, seconds: 1)
        let timeline = TimelineChart(result)
        let chart = try #require(MessageChart.charts(result, timeline: timeline).first)
        #expect(chart.stream == "orders" && chart.subscriber == "sub" && chart.lost == [4...6])
        #expect(chart.buckets.map { "\($0.fromNs / Self.ms): \($0.published)/\($0.received) lost [\(MessageChart.text($0.lost))]" } == [
            "0: 1/1 lost []", "100: 2/2 lost []", "200: 2/0 lost [4-5]", "300: 2/1 lost [6]", "400: 2/2 lost []", "500: 1/1 lost []",
        ])
        #expect(chart.outages.map { "\($0.fromNs / Self.ms)…\($0.toNs / Self.ms)" } == ["160…340", "170…345"])
        let drawing = chart.drawing(scale: timeline.scale)
        #expect(drawing.shapes("lost").count == 2 && drawing.shapes("outage band").count == 2 && drawing.shapes("published").count == 6)
        #expect(drawing.shapes("lost").first?.title?.contains("seq 4-5") == true)
    }

    /// Lost sequence numbers are found range against range, as drivers report thousands of messages in one event.
    @Test func lostRangesAreWhatNoReceivedRangeCovers() {
        let received = MessageChart.merged([8...9, 1...3, 4...4, 20...30, 12...12])
        #expect(received == [1...4, 8...9, 12...12, 20...30])
        #expect(MessageChart.missing(1...40_000, from: received) == [5...7, 10...11, 13...19, 31...40_000])
        #expect(MessageChart.missing(2...3, from: received).isEmpty && MessageChart.missing(5...6, from: []) == [5...6])
        #expect(MessageChart.text([1...5, 9...9]) == "1-5, 9")
    }

    /// With repeats a cell shows its rate and points at its first failing run.
    @Test func repeatedRunsShowTheirRate() {
        let passed = Self.result([]), failed = Self.result([], checks: [Check(passed: false, expected: "e", observed: "o")], outcome: .failed)
        let flaky = MatrixCell(runs: [0, 1, 2, 3, 4], of: [passed, failed, passed, failed, passed])
        #expect(flaky.verdict == "FLAKY 3/5" && flaky.style == "flaky" && flaky.focus == 1 && flaky.reason == "expected e; observed o")
        #expect(MatrixCell(runs: [0, 1], of: [passed, passed]).verdict == "pass 2/2")
        #expect(MatrixCell(runs: [0, 1], of: [failed, failed]).verdict == "FAIL 0/2")
        #expect(MatrixCell(runs: [0], of: [failed]).verdict == "FAIL")
    }

    /// The checks link to the scenario file's lines: a step by its `file:line:column`, an assertion by its position.
    @Test func checksPointIntoTheScenarioFile() {
        let source = "name: x\ntimeline:\n  - wait: 1s\nassert:\n  - events: {client: a, event: closed, count: 0}\n  - messages:\n      stream: s\n"
        let page = ReportPage(SuiteHistory(results: [], wallSeconds: 0), sources: ["x.yaml": source])
        #expect(page.sourceLine("x.yaml:3:5", file: "x.yaml") == 3)
        #expect(page.sourceLine("assert[0]", file: "x.yaml") == 5)
        #expect(page.sourceLine("assert[1]", file: "x.yaml") == 6)
        #expect(page.sourceLine("assert[2]", file: "x.yaml") == nil)
    }

    /// The matrix cell links to its run; the run shows why it failed, its artifacts (a relative folder stays relative
    /// to the page), its replay command, and its checks linked to their lines of the embedded scenario file.
    @Test func thePageLinksCellsToRunsAndChecksToTheirLines() {
        let source = "name: synthetic\ntimeline:\n  - expect: {client: app, event: connected, within: 1s}\n"
        var failed = Self.result([Self.event(0, .connected, client: "app"), Self.event(10, .published, client: "app", stream: "a\"<b>", seq: 1, ok: true)],
                                 checks: [Check(passed: false, expected: "app: closed", observed: "none", location: "synthetic.yaml:3:5")], outcome: .failed)
        failed.artifacts = "runs/0-synthetic"
        failed.replay = Replay(command: "natsfault replay runs/0-synthetic", seed: 7, scenarioChecksum: "", library: nil, serverBinary: "", serverPath: "", serverChecksum: "")
        failed.attempt = 2
        let html = ReportPage(SuiteHistory(results: [Self.result([]), failed], wallSeconds: 2), sources: ["synthetic.yaml": source]).html()
        #expect(html.contains(##"<td class="flaky"><a href="#run-1"><strong>FLAKY 1/2</strong></a><div class="reason">expected app: closed; observed none</div></td>"##))
        #expect(html.contains(#"<section id="run-1" class="run failed"><details open="open">"#))
        #expect(html.contains(#"<a href="runs/0-synthetic">runs/0-synthetic</a>"#))
        #expect(html.contains("<code>natsfault replay runs/0-synthetic</code>") && html.contains(" — attempt 2"))
        #expect(html.contains(##"<tr id="check-1-0" class="failed"><td>✗</td><td>app: closed</td><td>none</td><td><a href="#src-0-L3">synthetic.yaml:3:5</a></td></tr>"##))
        #expect(html.contains(#"<span id="src-0-L3" class="line failed"><span class="n">3</span>"#))
        #expect(html.contains(#"aria-label="messages of stream a&quot;&lt;b&gt;""#) && !html.contains("a\"<b>"))
    }

    /// A run that published 10,000 messages, one event each, still makes a small page.
    @Test func tenThousandMessagesMakeAPageUnderOneMegabyte() {
        var events: [RecordedEvent] = [Self.event(0, .connected, client: "sub")]
        for seq in 1...10_000 {
            events.append(Self.event(Int64(seq), .published, client: "pub", stream: "bulk", seq: seq, ok: true))
            if seq % 1000 != 0 { events.append(Self.event(Int64(seq) + 1, .message, client: "sub", stream: "bulk", seq: seq)) }
        }
        let html = ReportPage(SuiteHistory(results: [Self.result(events, seconds: 11)], wallSeconds: 12)).html()
        #expect(html.utf8.count < 1_000_000)
        #expect(html.contains("lost at sub: 10 (seq 1000, 2000, 3000"))
    }

    /// `--report DIR` writes DIR/report.html: a folder that exists, or a path ending in `/`.
    @Test func aFolderGetsReportHTMLInside() throws {
        let dir = try ReporterTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(HTMLReporter(path: dir.path).path == dir.appendingPathComponent("report.html").path)
        #expect(HTMLReporter(path: "out/").path == "out/report.html")
        #expect(HTMLReporter(path: "out/page.html").path == "out/page.html")
        let history = SuiteHistory(results: [Self.result([Self.event(0, .connected, client: "app")])], wallSeconds: 1)
        try HTMLReporter(path: dir.path + "/").suiteFinished(history)
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("client app"))
    }
}

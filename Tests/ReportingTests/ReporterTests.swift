import ArgumentParser
import Foundation
import NATSFaultReporting
import NATSFaultTimeline
import Synchronization
import Testing

/// Each reporter over the same recorded history: what it prints or the file it writes, and the options that ask for it.
struct ReporterTests {
    static let history = SuiteHistory(results: GoldenReportTests.sample(), wallSeconds: 3.25)

    /// What a console printed, in order: each write to standard output or standard error as it was made.
    final class Screen: Sendable {
        final class Writes: Sendable {
            let list = Mutex<[(stream: NATSFaultReporting.Console.Stream, text: String)]>([])
        }
        private let log = Writes()
        let console: NATSFaultReporting.Console

        init(_ capabilities: NATSFaultReporting.Console.Capabilities = .plain) {
            let log = self.log
            console = NATSFaultReporting.Console(capabilities: capabilities) { stream, text in log.list.withLock { $0.append((stream, text)) } }
        }

        /// Every write so far, in order.
        var writes: [(stream: NATSFaultReporting.Console.Stream, text: String)] { log.list.withLock { $0 } }

        /// The lines written to standard output, each write without its final newline.
        var lines: [String] { writes.filter { $0.stream == .output }.map { String($0.text.dropLast()) } }
        /// Everything written to standard output, as a terminal would receive it.
        var output: String { writes.filter { $0.stream == .output }.map(\.text).joined() }
        func reporter(quiet: Bool = false) -> ConsoleReporter { ConsoleReporter(console: console, quiet: quiet) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-reporter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Plays the sample history through a console reporter: each run starts (a skipped one does not) and ends.
    static func play(_ reporter: ConsoleReporter) {
        reporter.suiteStarted(runs: history.results.count)
        for result in history.results {
            if result.outcome != .skipped { reporter.runStarted(result.title) }
            reporter.runFinished(result)
        }
        reporter.suiteFinished(history)
    }

    @Test func consolePrintsEachRunAsItStartsAndEndsThenTheMatrixAndTheSummary() {
        let screen = Screen()
        Self.play(screen.reporter())
        let entries = Self.history.results.map { ConsoleReporter.entry(for: $0) }
        #expect(screen.lines == [
            "[0/3] start crash <&> \"quoted\" [c × nats-server 2.15.1]", "[1/3] " + entries[0],
            "[1/3] start restart [c × nats-server 2.9.10]", "[2/3] " + entries[1],
            "[3/3] " + entries[2],
            Matrix(Self.history.results).console(), "1 passed, 1 failed, 1 skipped (0 of the failures were errors) in 3.3s",
        ])
        #expect(screen.lines[1].contains("\n    ✗ scenarios/crash.yaml:13:5: expected app: reconnected at least 1 time between +2s and +5s after step \"kill\"\n        observed: none"))
        #expect(!screen.output.contains("\u{1B}"), "no colour and no status line without a terminal")
    }

    @Test func quietPrintsOnlyFailuresAndTheSummary() {
        let screen = Screen()
        Self.play(screen.reporter(quiet: true))
        #expect(screen.lines == ["[1/3] " + ConsoleReporter.entry(for: Self.history.results[0]),
                                 "1 passed, 1 failed, 1 skipped (0 of the failures were errors) in 3.3s"])
    }

    @Test func consoleLeavesTheMatrixOutForOneClientOnOneServer() {
        let screen = Screen()
        let one = SuiteHistory(results: [GoldenReportTests.sample()[1]], wallSeconds: 0.75)
        screen.reporter().suiteFinished(one)
        #expect(screen.lines == ["1 passed, 0 failed, 0 skipped (0 of the failures were errors) in 0.8s"])
    }

    /// On a terminal the status line (running, done, failed, elapsed, time left) stays below the other lines: erased
    /// before each line and drawn again after it, and gone before the summary; verdicts are in colour.
    @Test func aTerminalGetsAStatusLineBelowTheLinesAndColour() {
        let screen = Screen(.init(statusLine: true, colour: true))
        let reporter = screen.reporter()
        reporter.suiteStarted(runs: 3)
        reporter.runStarted(Self.history.results[1].title)
        reporter.runFinished(Self.history.results[1])
        reporter.runStarted(Self.history.results[0].title)
        reporter.runFinished(Self.history.results[0])
        reporter.suiteFinished(Self.history)
        let output = screen.output
        #expect(output.hasPrefix("\r\u{1B}[Krunning 0 · done 0/3 · failed 0 · 0:00 elapsed"), "\(output.debugDescription)")
        #expect(output.contains("\r\u{1B}[K[0/3] start restart [c × nats-server 2.9.10]\nrunning 1 · done 0/3 · failed 0 · 0:00 elapsed"), "\(output.debugDescription)")
        #expect(output.contains("\r\u{1B}[K[1/3] \u{1B}[1;32mPASS \u{1B}[0m restart [c × nats-server 2.9.10]  0.8s\nrunning 0 · done 1/3 · failed 0 · 0:00 elapsed · about 0:00 left"), "\(output.debugDescription)")
        #expect(output.contains("\r\u{1B}[K[2/3] \u{1B}[1;31mFAIL \u{1B}[0m crash"), "\(output.debugDescription)")
        #expect(output.contains("\nrunning 0 · done 2/3 · failed 1 · 0:00 elapsed"), "\(output.debugDescription)")
        // The status line is erased for good before the matrix and the summary.
        #expect(output.hasSuffix("\r\u{1B}[KMatrix\n" + Matrix(Self.history.results).console().dropFirst("Matrix\n".count) + "\n"
                                 + "1 passed, 1 failed, 1 skipped (0 of the failures were errors) in 3.3s\n"), "\(output.debugDescription)")
    }

    /// An error or warning goes to standard error; on a terminal the status line is erased first and drawn again after.
    @Test func problemsGoToStandardErrorAroundTheStatusLine() {
        let screen = Screen(.init(statusLine: true, colour: false))
        screen.console.showStatus("running 1")
        screen.console.problem("warning: slow")
        let writes = screen.writes.map { "\($0.stream):\($0.text)" }
        #expect(writes == ["output:\r\u{1B}[Krunning 1", "output:\r\u{1B}[K", "error:warning: slow\n", "output:running 1"])
        let plain = Screen()
        plain.console.showStatus("running 1")
        plain.console.problem("error: no")
        #expect(plain.writes.map { "\($0.stream):\($0.text)" } == ["error:error: no\n"], "no status line without a terminal")
    }

    /// Colour on a terminal unless NO_COLOR has a value (no-color.org); no colour and no status line through a pipe.
    @Test(arguments: [(true, nil, true), (true, "1", false), (true, "", true), (false, nil, false)] as [(Bool, String?, Bool)])
    func colourFollowsTheTerminalAndNoColor(terminal: Bool, noColor: String?, colour: Bool) {
        let detected = NATSFaultReporting.Console.Capabilities.detect(isTerminal: terminal, environment: noColor.map { ["NO_COLOR": $0] } ?? [:])
        #expect(detected == .init(statusLine: terminal, colour: colour))
    }

    @Test func interruptedRunsAreCountedApartInTheSummary() {
        var cut = GoldenReportTests.sample()[1]
        (cut.outcome, cut.reason) = (.skipped, ScenarioResult.interruptedReason)
        #expect(cut.interrupted)
        #expect(ConsoleReporter.summary([GoldenReportTests.sample()[1], cut, cut], wallSeconds: 1)
                == "1 passed, 0 failed, 0 skipped, 2 not run (interrupted) (0 of the failures were errors) in 1.0s")
    }

    @Test func junitWritesTheGoldenFileCreatingItsFolder() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results/junit.xml").path
        try JUnitReporter(path: path).suiteFinished(Self.history)
        let golden = try String(contentsOf: GoldenReportTests.golden.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == golden)
    }

    /// The document decodes back into the same runs, as tooling reading `--json` would.
    @Test func jsonWritesEveryRunInADocumentThatDecodesBack() throws {
        struct Document: Decodable {
            var format: String
            var version: Int
            var runs: [ScenarioResult]
        }
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run.json").path
        try JSONReporter(path: path).suiteFinished(Self.history)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let document = try decoder.decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(document.format == "natsfault-results" && document.version == 1)
        #expect(try ResultsDocument.read(path).natsfaultVersion == NATSFaultVersion.current, "results say which natsfault wrote them")
        #expect(document.runs.map(\.title) == Self.history.results.map(\.title))
        #expect(document.runs.map(\.outcome) == [.failed, .passed, .skipped])
        #expect(document.runs[0].events == Self.history.results[0].events)
        #expect(document.runs[0].checks.map(\.passed) == [true, false] && document.runs[0].checks[1].location == "scenarios/crash.yaml:13:5")
        #expect(document.runs[2].reason == "applies to nats-server 2.15")
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        #expect(raw.contains("\"mono_ns\":1004000000") && raw.contains("\"server_version\":\"2.15.1\""), "snake_case keys, as documented")
    }

    @Test func matrixMarkdownWritesTheTable() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("matrix.md").path
        try MatrixMarkdownReporter(path: path).suiteFinished(SuiteHistory(results: MatrixTests.results, wallSeconds: 8))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == Matrix(MatrixTests.results).markdown())
        #expect(text.hasPrefix("| scenario | c × 2.9.10 | python × 2.9.10 | c × 2.15.1 | python × 2.15.1 |\n"))
    }

    @Test func aFileThatCannotBeWrittenThrows() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain-file")
        try Data().write(to: file)
        #expect(throws: (any Error).self) { try JSONReporter(path: file.appendingPathComponent("run.json").path).suiteFinished(Self.history) }
    }

    @Test func reportOptionsYieldTheConsoleThenOneReporterPerOptionGiven() throws {
        let console = NATSFaultReporting.Console(capabilities: .plain) { _, _ in }
        let none = try ReportOptions.parse([]).reporters(console: console)
        #expect(none.count == 1 && none[0] is ConsoleReporter)

        let all = try ReportOptions.parse(["--json", "out/run.json", "--matrix-md", "out/matrix.md", "--junit", "out/junit.xml"]).reporters(console: console)
        #expect(all.count == 4 && all[0] is ConsoleReporter)
        // File reports come in the order of their formats' names.
        #expect((all[1] as? JSONReporter)?.path == "out/run.json")
        #expect((all[2] as? JUnitReporter)?.path == "out/junit.xml")
        #expect((all[3] as? MatrixMarkdownReporter)?.path == "out/matrix.md")
    }
}

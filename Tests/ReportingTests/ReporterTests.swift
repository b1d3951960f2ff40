import ArgumentParser
import Foundation
import NATSFaultReporting
import NATSFaultTimeline
import Synchronization
import Testing

/// Each reporter over the same recorded history: what it prints or the file it writes, and the options that ask for it.
struct ReporterTests {
    static let history = SuiteHistory(results: GoldenReportTests.sample(), wallSeconds: 3.25)

    /// What a console reporter printed, in order.
    final class Console: Sendable {
        let printed = Mutex<[String]>([])
        var lines: [String] { printed.withLock { $0 } }
        var reporter: ConsoleReporter { ConsoleReporter(print: { text in self.printed.withLock { $0.append(text) } }) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-reporter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func consolePrintsEachRunAsItEndsThenTheMatrixAndTheSummary() {
        let console = Console()
        for result in Self.history.results { console.reporter.runFinished(result) }
        console.reporter.suiteFinished(Self.history)
        let entries = Self.history.results.map(ConsoleReporter.entry(for:))
        #expect(console.lines == entries + [Matrix(Self.history.results).console(), "1 passed, 1 failed, 1 skipped (0 of the failures were errors) in 3.3s"])
        #expect(console.lines[0].contains("\n    ✗ scenarios/crash.yaml:13:5: expected app: reconnected at least 1 time between +2s and +5s after step \"kill\"\n        observed: none"))
    }

    @Test func consoleLeavesTheMatrixOutForOneClientOnOneServer() {
        let console = Console()
        let one = SuiteHistory(results: [GoldenReportTests.sample()[1]], wallSeconds: 0.75)
        console.reporter.suiteFinished(one)
        #expect(console.lines == ["1 passed, 0 failed, 0 skipped (0 of the failures were errors) in 0.8s"])
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
        #expect(text.hasPrefix("| scenario | c × 2.9.10 | c × 2.15.1 | python × 2.9.10 | python × 2.15.1 |\n"))
    }

    @Test func aFileThatCannotBeWrittenThrows() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain-file")
        try Data().write(to: file)
        #expect(throws: (any Error).self) { try JSONReporter(path: file.appendingPathComponent("run.json").path).suiteFinished(Self.history) }
    }

    @Test func reportOptionsYieldTheConsoleThenOneReporterPerOptionGiven() throws {
        let print: @Sendable (String) -> Void = { _ in }
        let none = try ReportOptions.parse([]).reporters(print: print)
        #expect(none.count == 1 && none[0] is ConsoleReporter)

        let all = try ReportOptions.parse(["--json", "out/run.json", "--matrix-md", "out/matrix.md", "--junit", "out/junit.xml"]).reporters(print: print)
        #expect(all.count == 4 && all[0] is ConsoleReporter)
        // File reports come in the order of their formats' names.
        #expect((all[1] as? JSONReporter)?.path == "out/run.json")
        #expect((all[2] as? JUnitReporter)?.path == "out/junit.xml")
        #expect((all[3] as? MatrixMarkdownReporter)?.path == "out/matrix.md")
    }
}

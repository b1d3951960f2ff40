import Foundation
import NATSFaultTimeline
import Plot

/// The HTML report of a suite: the matrix, then each run with its timeline, message charts, checks, logs,
/// artifacts and replay command, then the scenario files the checks point into. One self-contained page: inline
/// CSS, SVG and a little script (the log filter), readable without the script.
public struct ReportPage {
    public var history: SuiteHistory
    /// The scenario files' text, by path as the results name them; files that cannot be read are left out.
    public var sources: [String: String]

    /// - Parameter sources: the scenario files' text, by path; by default read from each result's `file` now.
    public init(_ history: SuiteHistory, sources: [String: String]? = nil) {
        self.history = history
        self.sources = sources ?? Dictionary(history.results.map(\.file).compactMap { file in
            (try? String(contentsOfFile: file, encoding: .utf8)).map { (file, $0) }
        }, uniquingKeysWith: { a, _ in a })
    }

    public func html() -> String {
        let results = history.results
        let files = results.map(\.file).reduce(into: [String]()) { if sources[$1] != nil, !$0.contains($1) { $0.append($1) } }
        return HTML(
            .head(
                .meta(.charset(.utf8)),
                .title("natsfault report"),
                .style(PageAssets.css)
            ),
            .body(
                .h1("natsfault report"),
                .p(.class("summary"), .text(summary)),
                matrix(),
                .group(results.indices.map { run($0, files: files) }),
                .if(!files.isEmpty, .h2("Scenario files")),
                .group(files.enumerated().map { source($0.offset, file: $0.element) }),
                .script(.raw(PageAssets.script))
            )
        ).render()
    }

    private var summary: String {
        let results = history.results
        let counts = [(ScenarioResult.Outcome.passed, "passed"), (.failed, "failed"), (.error, "errors"), (.skipped, "skipped"), (.differs, "differ as declared")]
            .map { outcome, word in "\(results.filter { $0.outcome == outcome }.count) \(word)" }
        return "\(results.count) runs: \(counts.joined(separator: ", ")) — \(String(format: "%.1f", history.wallSeconds)) s"
    }

    // MARK: the matrix

    private func matrix() -> Node<HTML.BodyContext> {
        let results = history.results
        let layout = Matrix(results)
        let cells = MatrixCell.cells(results)
        return .table(.class("matrix"),
            .tr(.th("scenario"), .forEach(layout.columns) { .th(.text("\($0.client) × \($0.server)")) }),
            .forEach(layout.scenarios) { scenario in
                .tr(.th(.text(scenario)), .forEach(layout.columns) { column in
                    guard let cell = cells[scenario]?[MatrixCell.key(column.client, column.server)] else { return .td("—") }
                    return .td(.class(cell.style),
                        .a(.href("#run-\(cell.focus)"), .strong(.text(cell.verdict))),
                        .unwrap(cell.reason) { .div(.class("reason"), .text($0)) })
                })
            })
    }

    // MARK: a run

    private func run(_ index: Int, files: [String]) -> Node<HTML.BodyContext> {
        let result = history.results[index]
        let chart = TimelineChart(result)
        let word = ["passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"][result.outcome.rawValue] ?? result.outcome.rawValue
        let fileIndex = files.firstIndex(of: result.file)
        let open = result.outcome != .passed || history.results.count <= 3
        return .section(.id("run-\(index)"), .class("run \(result.outcome.rawValue)"),
            details(open: open, summary: .group(
                .span(.class("badge \(result.outcome.rawValue)"), .text(word)), .text(" " + result.title),
                .unwrap(result.attempt) { .text(" — attempt \($0)") },
                .span(.class("time"), .text(String(format: " %.1f s", result.wallSeconds)))), [
                .p(.class("description"), .text(result.description)),
                .unwrap(Matrix.reason(result)) { .p(.class("reason"), .text($0)) },
                .unwrap(result.artifacts) { folder in
                    .p(.text("artifacts: "), .a(.href((folder.hasPrefix("/") ? "file://" + folder : folder).htmlEscaped), .text(folder)))
                },
                .unwrap(result.replay) { .div(.class("replay"), .text("replay: "), .code(.text($0.command))) },
                // A skipped run stopped at its start: its few events say nothing its reason does not.
                .if(result.outcome != .skipped && !chart.lanes.isEmpty, .group(
                    .h3("Timeline"),
                    .div(.class("chart"), chart.drawing(checkLink: { "#check-\(index)-\($0)" }).node),
                    PageAssets.legend,
                    messages(result, chart))),
                checks(result, run: index, fileIndex: fileIndex),
                logs(result),
            ]))
    }

    private func messages(_ result: ScenarioResult, _ chart: TimelineChart) -> Node<HTML.BodyContext> {
        let charts = MessageChart.charts(result, timeline: chart)
        guard !charts.isEmpty else { return .empty }
        return .group(
            .h3("Messages per 100 ms"),
            .forEach(charts) { message in
                .group(
                    .div(.class("chart"), message.drawing(scale: chart.scale).node),
                    .if(!message.lost.isEmpty, .p(.class("lost"), .text("lost at \(message.subscriber ?? "?"): \(message.lostCount) (seq \(MessageChart.text(message.lost)))"))))
            },
            .p(.class("legend"), .span(.class("key published")), .text("published "), .span(.class("key received")), .text("received "),
               .span(.class("key lost")), .text("lost (published, never received) "), .span(.class("key outage")), .text("outage or fault in effect")))
    }

    private func checks(_ result: ScenarioResult, run: Int, fileIndex: Int?) -> Node<HTML.BodyContext> {
        guard !result.checks.isEmpty else { return .empty }
        return .group(
            .h3("Checks"),
            .table(.class("checks"),
                .tr(.th(""), .th("expected"), .th("observed"), .th("where")),
                .forEach(result.checks.enumerated()) { i, check in
                    .tr(.id("check-\(run)-\(i)"), .class(check.passed ? "passed" : "failed"),
                        .td(.text(check.passed ? "✓" : "✗")),
                        .td(.text(check.expected)),
                        .td(.text(check.observed)),
                        .td(.unwrap(check.location) { location in
                            guard let fileIndex, let line = sourceLine(location, file: result.file) else { return .text(location) }
                            return .a(.href("#src-\(fileIndex)-L\(line)"), .text(location))
                        }))
                }))
    }

    private func logs(_ result: ScenarioResult) -> Node<HTML.BodyContext> {
        let logs = result.logs.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
        guard !logs.isEmpty else { return .empty }
        return details(open: false, summary: .text("Logs (\(logs.count): \(logs.map(\.key).joined(separator: ", ")))"), [
            .input(.type(.search), .class("log-filter"), .placeholder("show only lines containing…")),
            .forEach(logs) { name, tail in .group(.h4(.text(name)), .pre(.class("log"), .raw(tail.htmlEscaped))) },
        ])
    }

    // MARK: scenario files

    /// The line of the scenario file a check's location names: `file:line:column` for a timeline step,
    /// `assert[N]` for the Nth final assertion.
    func sourceLine(_ location: String, file: String) -> Int? {
        let parts = location.split(separator: ":")
        if parts.count >= 3, let line = Int(parts[parts.count - 2]) { return line }
        guard location.hasPrefix("assert["), let n = Int(location.dropFirst(7).dropLast()), let text = sources[file] else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("assert:") }) else { return nil }
        let items = lines.indices.filter { $0 > start && lines[$0].drop { $0 == " " }.hasPrefix("- ") && lines[$0].first == " " }
        let indent = items.map { lines[$0].prefix { $0 == " " }.count }.min()
        let top = items.filter { lines[$0].prefix { $0 == " " }.count == indent }
        return n < top.count ? top[n] + 1 : nil
    }

    private func source(_ index: Int, file: String) -> Node<HTML.BodyContext> {
        let lines = (sources[file] ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        let failed = Set(history.results.filter { $0.file == file }.flatMap { r in r.checks.filter { !$0.passed }.compactMap { $0.location.flatMap { sourceLine($0, file: file) } } })
        return .section(.id("src-\(index)"), .class("source"),
            .h3(.text(file)),
            .pre(.forEach(lines.enumerated()) { i, line in
                .span(.id("src-\(index)-L\(i + 1)"), .class(failed.contains(i + 1) ? "line failed" : "line"),
                      .span(.class("n"), .text(String(i + 1))), .raw(String(line).htmlEscaped + "\n"))
            }))
    }

    private func details(open: Bool, summary: Node<HTML.BodyContext>, _ content: [Node<HTML.BodyContext>]) -> Node<HTML.BodyContext> {
        .element(named: "details", nodes: [open ? .attribute(named: "open", value: "open") : .empty, .element(named: "summary", nodes: [summary])] + content)
    }
}

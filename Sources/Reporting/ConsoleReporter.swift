public import NATSFaultTimeline

/// Console progress: a line per run with its duration and verdict, details on failure; then the matrix, when
/// there is more than one client or server, and the summary.
public struct ConsoleReporter: Reporter {
    let print: @Sendable (String) -> Void

    /// - Parameter print: writes one line (or several, joined by newlines) to the console.
    public init(print: @escaping @Sendable (String) -> Void) {
        self.print = print
    }

    public func runFinished(_ result: ScenarioResult) {
        print(Self.entry(for: result))
    }

    public func suiteFinished(_ history: SuiteHistory) {
        let matrix = Matrix(history.results)
        if matrix.clients.count > 1 || matrix.servers.count > 1 || !matrix.rates.isEmpty { print(matrix.console()) }
        let spreads = matrix.spreads
        if !spreads.isEmpty { print((["Times to what each expectation waited for, over the attempts:"] + spreads.map { "  " + $0 }).joined(separator: "\n")) }
        print(Self.summary(history.results, wallSeconds: history.wallSeconds))
    }

    public static func line(for result: ScenarioResult) -> String {
        let verdict: String = switch result.outcome {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .error: "ERROR"
        case .skipped: "SKIP"
        case .differs: "DIFFERS"
        }
        var text = "\(verdict.padding(5)) \(result.title)  \(formatSeconds(result.wallSeconds))"
        if result.outcome == .skipped, let reason = result.reason { text += "  (\(reason))" }
        if let pinned = result.pinned, !pinned.isEmpty {
            text += "  (" + pinned.sorted { $0.key < $1.key }.map { "client \($0.key) ran \($0.value)" }.joined(separator: ", ") + ")"
        }
        let differences = result.differences.map { "\($0): \($0.reason)" }
        if !differences.isEmpty { text += "  (" + differences.joined(separator: "; ") + ")" }
        return text
    }

    /// The line plus, for failures and errors, the indented report.
    public static func entry(for result: ScenarioResult) -> String {
        let services = FailureReport.serviceInstances(result).map { "    " + $0 }
        guard result.isFailure else { return ([line(for: result)] + services).joined(separator: "\n") }
        let details = FailureReport.text(for: result).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        return ([line(for: result)] + services + details).joined(separator: "\n")
    }

    public static func summary(_ results: [ScenarioResult], wallSeconds: Double) -> String {
        func count(_ o: ScenarioResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        var text = "\(count(.passed)) passed, \(count(.failed) + count(.error)) failed, \(count(.skipped)) skipped"
            + (count(.differs) > 0 ? ", \(count(.differs)) differ as declared" : "")
            + " (\(count(.error)) of the failures were errors) in \(formatSeconds(wallSeconds))"
        // A declared difference that did not happen is always shown: the library may have changed.
        for r in results where !r.differencesGone.isEmpty {
            text += "\ndifference gone (\(ScenarioResult.findings(r.differencesGone))): \(r.title) — declared, but the check passed;"
                + " if the library changed, update docs/client-differences.md and the scenario's known_differences"
        }
        return text
    }

    static func formatSeconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)s"
    }
}

extension Matrix {
    /// The matrix for the console: fixed-width columns, then the reasons.
    public func console() -> String {
        let notes = self.notes
        let headers = columns.map { "\($0.client) × \($0.server)" }
        let first = max(8, scenarios.map(\.count).max() ?? 0)
        let widths = headers.map { max($0.count, 10) }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = ["Matrix", pad("scenario", first) + "  " + zip(headers, widths).map { pad($0, $1) }.joined(separator: "  ")]
        for s in scenarios {
            let row = zip(columns, widths).map { column, w in pad(cell(s, column, notes), w) }
            lines.append(pad(s, first) + "  " + row.joined(separator: "  "))
        }
        for n in notes { lines.append("[\(n.number)] \(n.scenario), \(n.client) × \(n.server), \(n.word): \(n.reason)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

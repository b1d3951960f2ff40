public import NATSFaultTimeline

/// The runs of one scenario × client × server cell (several with `--repeat`) and their verdict in one word:
/// `pass`, `FAIL`, `skip`, `ERROR`, or with repeats the rate, `pass 5/5`, `FLAKY 3/5`, `FAIL 0/5`.
public struct MatrixCell: Sendable {
    /// The runs' positions in the suite's results, in order.
    public var runs: [Int]
    public var verdict: String
    /// Why it did not pass (the first run that did not), in one line; nil when every run passed.
    public var reason: String?
    /// The run to look at first: the first that did not pass, or the first.
    public var focus: Int
    /// `pass`, `fail`, `flaky`, `skip`, `error`, `differs` or `gone`: how the page colours it.
    public var style: String

    public init(runs: [Int], of results: [ScenarioResult]) {
        self.runs = runs
        let outcomes = runs.map { results[$0].outcome }
        let passed = runs.filter { results[$0].outcome != .skipped && !results[$0].isFailure }.count
        let differing = runs.map { results[$0] }.flatMap(\.differences)
        let word: String
        if outcomes.allSatisfy({ $0 == .skipped }) {
            (word, style) = ("skip", "skip")
        } else if passed == outcomes.count, differing.contains(where: \.gone) {
            (word, style) = ("difference gone (\(ScenarioResult.findings(differing.filter(\.gone))))", "gone")
        } else if passed == outcomes.count, !differing.isEmpty {
            (word, style) = ("differs (\(ScenarioResult.findings(differing)))", "differs")
        } else if passed == outcomes.count {
            (word, style) = ("pass", "pass")
        } else if passed > 0 {
            (word, style) = ("FLAKY", "flaky")
        } else if outcomes.contains(.failed) {
            (word, style) = ("FAIL", "fail")
        } else {
            (word, style) = ("ERROR", "error")
        }
        verdict = runs.count > 1 && style != "skip" ? "\(word) \(passed)/\(runs.count)" : word
        let first = runs.first { results[$0].isFailure } ?? runs.first { results[$0].outcome != .passed || !results[$0].differences.isEmpty }
        focus = first ?? runs[0]
        reason = first.flatMap { Matrix.reason(results[$0]) }
    }

    /// The cells of `results` by scenario, then client and server, in the order they were planned.
    public static func cells(_ results: [ScenarioResult]) -> [String: [String: MatrixCell]] {
        var runs: [String: [String: [Int]]] = [:]
        for (i, r) in results.enumerated() { runs[r.scenario, default: [:]][key(r.client, r.serverVersion), default: []].append(i) }
        return runs.mapValues { $0.mapValues { MatrixCell(runs: $0, of: results) } }
    }

    static func key(_ client: String, _ server: String) -> String { "\(client) × \(server)" }
}

public import NATSFaultTimeline

/// The verdicts of a run laid out as scenario × client × server, with a one-line reason for every
/// run that did not pass.
public struct Matrix: Sendable {
    public let scenarios: [String]
    public let clients: [String]
    public let servers: [String]
    private let cells: [Key: ScenarioResult]

    private struct Key: Hashable {
        var scenario, client, server: String
    }

    /// The columns in the order runs were planned: each client with each server.
    public var columns: [(client: String, server: String)] { clients.flatMap { c in servers.map { (c, $0) } } }

    public init(_ results: [ScenarioResult]) {
        func ordered(_ values: [String]) -> [String] { values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
        scenarios = ordered(results.map(\.scenario))
        clients = ordered(results.map(\.client))
        servers = ordered(results.map(\.serverVersion))
        cells = Dictionary(results.map { (Key(scenario: $0.scenario, client: $0.client, server: $0.serverVersion), $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Why a run did not pass, in one line; nil for a pass.
    public static func reason(_ result: ScenarioResult) -> String? {
        switch result.outcome {
        case .passed: return nil
        case .failed:
            guard let check = result.checks.first(where: { !$0.passed }) else { return result.reason ?? "failed" }
            return oneLine("expected \(check.expected); observed \(check.observed)")
        case .skipped, .error: return oneLine(result.reason ?? result.outcome.rawValue)
        }
    }

    private static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 240 ? String(flat.prefix(239)) + "…" : flat
    }

    private func verdict(_ scenario: String, _ column: (client: String, server: String)) -> (word: String, result: ScenarioResult?) {
        guard let r = cells[Key(scenario: scenario, client: column.client, server: column.server)] else { return ("—", nil) }
        return (r.outcome == .passed ? "pass" : r.outcome == .failed ? "FAIL" : r.outcome == .skipped ? "skip" : "ERROR", r)
    }

    /// The runs that did not pass, numbered in table order, with their reasons.
    private var notes: [(number: Int, scenario: String, client: String, server: String, word: String, reason: String)] {
        var out: [(Int, String, String, String, String, String)] = []
        for s in scenarios {
            for column in columns {
                let (word, result) = verdict(s, column)
                if let result, let reason = Self.reason(result) { out.append((out.count + 1, s, column.client, column.server, word, reason)) }
            }
        }
        return out
    }

    /// A cell: the verdict, with its note's number when the run did not pass.
    private func cell(_ scenario: String, _ column: (client: String, server: String),
                      _ notes: [(number: Int, scenario: String, client: String, server: String, word: String, reason: String)]) -> String {
        let word = verdict(scenario, column).word
        let note = notes.first { $0.scenario == scenario && $0.client == column.client && $0.server == column.server }
        return note.map { "\(word) [\($0.number)]" } ?? word
    }

    /// The matrix as a Markdown table, then one line per failure, error and skip.
    public func markdown() -> String {
        let notes = self.notes
        var lines = ["| scenario | " + columns.map { "\($0.client) × \($0.server)" }.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---|", count: columns.count)]
        for s in scenarios {
            lines.append("| \(s) | " + columns.map { cell(s, $0, notes) }.joined(separator: " | ") + " |")
        }
        if !notes.isEmpty {
            lines.append("")
            for n in notes { lines.append("\(n.number). **\(n.scenario)**, \(n.client) × nats-server \(n.server), \(n.word): \(escape(n.reason))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

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

    private func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}

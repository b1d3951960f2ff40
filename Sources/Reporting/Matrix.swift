public import NATSFaultTimeline

/// The verdicts of a run laid out as scenario × client × server, with a one-line reason for every
/// run that did not pass; the console and the Markdown report render it.
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

    func verdict(_ scenario: String, _ column: (client: String, server: String)) -> (word: String, result: ScenarioResult?) {
        guard let r = cells[Key(scenario: scenario, client: column.client, server: column.server)] else { return ("—", nil) }
        return (r.outcome == .passed ? "pass" : r.outcome == .failed ? "FAIL" : r.outcome == .skipped ? "skip" : "ERROR", r)
    }

    /// A run that did not pass, numbered in table order, with its verdict word and its reason.
    struct Note {
        var number: Int
        var scenario, client, server, word, reason: String
    }

    /// The runs that did not pass, numbered in table order, with their reasons.
    var notes: [Note] {
        var out: [Note] = []
        for s in scenarios {
            for column in columns {
                let (word, result) = verdict(s, column)
                if let result, let reason = Self.reason(result) {
                    out.append(Note(number: out.count + 1, scenario: s, client: column.client, server: column.server, word: word, reason: reason))
                }
            }
        }
        return out
    }

    /// A cell: the verdict, with its note's number when the run did not pass.
    func cell(_ scenario: String, _ column: (client: String, server: String), _ notes: [Note]) -> String {
        let word = verdict(scenario, column).word
        let note = notes.first { $0.scenario == scenario && $0.client == column.client && $0.server == column.server }
        return note.map { "\(word) [\($0.number)]" } ?? word
    }
}

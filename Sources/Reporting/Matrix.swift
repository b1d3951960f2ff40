public import NATSFaultTimeline
import NATSFaultScenario

/// The verdicts of a run laid out as scenario × client × server, with a one-line reason for every
/// run that did not pass; the console and the Markdown report render it. With `--repeat`, a cell holds every
/// attempt and shows its pass rate: `pass 5/5`, `FLAKY 3/5`, `FAIL 0/5`.
public struct Matrix: Sendable {
    public let scenarios: [String]
    public let clients: [String]
    public let servers: [String]
    private let cells: [Key: [ScenarioResult]]

    private struct Key: Hashable {
        var scenario, client, server: String
    }

    /// The columns grouped by server version, oldest first (2.9 before 2.10), each with every client in the order
    /// runs were planned.
    public var columns: [(client: String, server: String)] { servers.flatMap { s in clients.map { ($0, s) } } }

    public init(_ results: [ScenarioResult]) {
        func ordered(_ values: [String]) -> [String] { values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
        scenarios = ordered(results.map(\.scenario))
        clients = ordered(results.map(\.client))
        servers = ordered(results.map(\.serverVersion)).sorted { compareVersions($0, $1) < 0 }
        cells = Dictionary(grouping: results) { Key(scenario: $0.scenario, client: $0.client, server: $0.serverVersion) }
    }

    /// A cell's attempts that were judged (not skipped) and how many passed.
    public struct Rate: Sendable, Hashable, CustomStringConvertible {
        public var passed: Int
        public var attempts: Int
        /// Some attempts passed and some did not.
        public var flaky: Bool { passed > 0 && passed < attempts }
        public var description: String { "\(passed)/\(attempts)" }
    }

    /// The pass rate of every cell with more than one judged attempt, in table order.
    public var rates: [(scenario: String, client: String, server: String, rate: Rate)] {
        scenarios.flatMap { s in
            columns.compactMap { column in
                guard let rate = rate(s, column), rate.attempts > 1 else { return nil }
                return (s, column.client, column.server, rate)
            }
        }
    }

    /// How long each expectation of a repeated cell took to see what it waited for, over the attempts: one line per
    /// expectation, `scenario [client × server] file:line: +312ms / +340ms / +401ms (min / median / max of 5)`.
    public var spreads: [String] {
        var lines: [String] = []
        for s in scenarios {
            for column in columns {
                let attempts = cells[Key(scenario: s, client: column.client, server: column.server)] ?? []
                guard attempts.count > 1 else { continue }
                var times: [String: [Int64]] = [:]
                var order: [String] = []
                for attempt in attempts {
                    for check in attempt.checks {
                        guard let location = check.location, let window = check.window,
                              let seen = window.seenNs.first(where: { $0 >= window.opensNs && $0 <= window.closesNs }) else { continue }
                        if times[location] == nil { order.append(location) }
                        times[location, default: []].append(seen - window.anchorNs)
                    }
                }
                for location in order {
                    let sorted = times[location]!.sorted()
                    func ms(_ ns: Int64) -> String { "+\(Int((Double(ns) / 1e6).rounded()))ms" }
                    lines.append("\(s) [\(column.client) × \(column.server)] \(location): \(ms(sorted.first!)) / \(ms(sorted[sorted.count / 2])) / \(ms(sorted.last!)) (min / median / max of \(sorted.count))")
                }
            }
        }
        return lines
    }

    func rate(_ scenario: String, _ column: (client: String, server: String)) -> Rate? {
        let judged = (cells[Key(scenario: scenario, client: column.client, server: column.server)] ?? []).filter { $0.outcome != .skipped }
        return judged.isEmpty ? nil : Rate(passed: judged.filter { !$0.isFailure }.count, attempts: judged.count)
    }

    /// Why a run did not pass, in one line; nil for a pass.
    public static func reason(_ result: ScenarioResult) -> String? {
        switch result.outcome {
        case .passed:
            guard let gone = result.differencesGone.first else { return nil }
            return oneLine("declared (\(gone.reason)), but the check passed")
        case .differs:
            return oneLine(result.differences.filter { !$0.gone }.map(\.reason).joined(separator: "; "))
        case .failed:
            guard let check = result.checks.first(where: \.fails) else { return result.reason ?? "failed" }
            return oneLine("expected \(check.expected); observed \(check.observed)")
        case .skipped, .error: return oneLine(result.reason ?? result.outcome.rawValue)
        }
    }

    private static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 240 ? String(flat.prefix(239)) + "…" : flat
    }

    /// A cell's verdict word, and the attempt its note is about (the first that did not pass, else the first).
    func verdict(_ scenario: String, _ column: (client: String, server: String)) -> (word: String, result: ScenarioResult?) {
        guard let attempts = cells[Key(scenario: scenario, client: column.client, server: column.server)], let first = attempts.first else { return ("—", nil) }
        let shown = attempts.first { $0.isFailure } ?? attempts.first { $0.outcome == .differs || !$0.differencesGone.isEmpty } ?? first
        let word = switch shown.outcome {
        case .passed: shown.differencesGone.isEmpty ? "pass" : shown.differenceVerdict ?? "pass"
        case .failed: "FAIL"
        case .skipped: "skip"
        case .error: "ERROR"
        case .differs: "differs (\(ScenarioResult.findings(shown.differences.filter { !$0.gone })))"
        }
        guard let rate = rate(scenario, column), rate.attempts > 1 else { return (word, shown) }
        return ("\(rate.flaky ? "FLAKY" : word) \(rate)", shown)
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

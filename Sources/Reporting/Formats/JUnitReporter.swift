public import NATSFaultTimeline
public import Foundation

/// JUnit XML (`--junit FILE`): one testcase per scenario × client × server; a failure's message is its one-line reason and
/// its `<system-out>` the readable account (the failing checks, the timeline around them, where the artifacts are).
public struct JUnitReporter: FileReporter {
    public static let option = "junit"
    public static let help = "Write JUnit XML here (a testcase per scenario × client × server)."
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func render(_ history: SuiteHistory) -> Data {
        Data(Self.xml(history.results).utf8)
    }

    public static func xml(_ results: [ScenarioResult], suiteName: String = "natsfault") -> String {
        // A testcase per cell: its attempts, with --repeat, count once.
        func counts(_ runs: [ScenarioResult]) -> String {
            let outcomes = cells(runs).map(outcome)
            func n(_ o: ScenarioResult.Outcome) -> Int { outcomes.filter { $0 == o }.count }
            return "tests=\"\(outcomes.count)\" failures=\"\(n(.failed))\" errors=\"\(n(.error))\" skipped=\"\(n(.skipped) + n(.differs))\" time=\"\(seconds(runs.map(\.wallSeconds).reduce(0, +)))\""
        }
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<testsuites name=\"\(escape(suiteName))\" \(counts(results))>"]
        let byClass = Dictionary(grouping: results) { "\($0.client).nats-server-\($0.serverVersion)" }
        for (className, runs) in byClass.sorted(by: { $0.key < $1.key }) {
            out.append("  <testsuite name=\"\(escape(className))\" \(counts(runs))>")
            for attempts in cells(runs) {
                guard attempts.count == 1, let r = attempts.first else {
                    out += repeated(attempts, className: className)
                    continue
                }
                let open = "    <testcase classname=\"\(escape(className))\" name=\"\(escape("\(r.scenario) [\(r.client) × nats-server \(r.serverVersion)]"))\" file=\"\(escape(r.file))\" time=\"\(seconds(r.wallSeconds))\""
                switch r.outcome {
                case .passed where r.differencesGone.isEmpty:
                    out.append(open + "/>")
                case .passed:
                    out.append(open + ">")
                    out.append("      <system-out>\(escape(r.differencesGone.map { "\($0): declared (\($0.reason)), but the check passed" }.joined(separator: "\n")))</system-out>")
                    out.append("    </testcase>")
                case .skipped, .differs:
                    // A declared known difference is not a failure: skipped, with the finding and its reason, so CI stays green.
                    out.append(open + ">")
                    out.append("      <skipped message=\"\(escape(r.outcome == .differs ? Self.differs(r) : r.reason ?? "not applicable"))\"/>")
                    out.append("    </testcase>")
                case .failed, .error:
                    let tag = r.outcome == .failed ? "failure" : "error"
                    let first = r.reason ?? r.checks.first(where: \.fails).map { "expected \($0.expected); observed \($0.observed)" } ?? "failed"
                    // The one-line reason as the failure; the account of what happened, and where the rest is, as the output.
                    out.append(open + ">")
                    out.append("      <\(tag) message=\"\(escape(first))\">\(escape(first))</\(tag)>")
                    out.append("      <system-out>\(escape(FailureReport.text(for: r)))</system-out>")
                    out.append("    </testcase>")
                }
            }
            out.append("  </testsuite>")
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The runs grouped by cell (scenario × client × server), in the order they first appear.
    static func cells(_ runs: [ScenarioResult]) -> [[ScenarioResult]] {
        var order: [String] = []
        var groups: [String: [ScenarioResult]] = [:]
        for r in runs {
            if groups[r.title] == nil { order.append(r.title) }
            groups[r.title, default: []].append(r)
        }
        return order.map { groups[$0]! }
    }

    /// A cell's verdict over its attempts: passed when every judged attempt passed, skipped when none was judged, an
    /// error when none passed and the first that did not pass errored, else failed.
    static func outcome(_ attempts: [ScenarioResult]) -> ScenarioResult.Outcome {
        let judged = attempts.filter { $0.outcome != .skipped }
        guard let failing = judged.first(where: \.isFailure) else {
            return judged.isEmpty ? .skipped : judged.allSatisfy { $0.outcome == .differs } ? .differs : .passed
        }
        return failing.outcome == .error && !judged.contains { !$0.isFailure } ? .error : .failed
    }

    /// One testcase for a cell run several times (`--repeat`, `--until-fail`): a failure when any attempt failed,
    /// its message the pass rate and the first failure's reason, the attempts and that failure's account in its output.
    static func repeated(_ attempts: [ScenarioResult], className: String) -> [String] {
        let first = attempts[0]
        let judged = attempts.filter { $0.outcome != .skipped }
        let passed = judged.filter { !$0.isFailure }.count
        let open = "    <testcase classname=\"\(escape(className))\" name=\"\(escape(first.title))\" file=\"\(escape(first.file))\" time=\"\(seconds(attempts.map(\.wallSeconds).reduce(0, +)))\""
        guard !judged.isEmpty else { return [open + ">", "      <skipped message=\"\(escape(first.reason ?? "not applicable"))\"/>", "    </testcase>"] }
        let list = attempts.map { "attempt \($0.attempt ?? 0): \($0.outcome.rawValue)" + (Matrix.reason($0).map { " — \($0)" } ?? "") }.joined(separator: "\n")
        guard let failing = judged.first(where: \.isFailure) else {
            if judged.allSatisfy({ $0.outcome == .differs }) {
                return [open + ">", "      <skipped message=\"\(escape(Self.differs(judged[0])))\"/>", "      <system-out>\(escape(list))</system-out>", "    </testcase>"]
            }
            return [open + ">", "      <system-out>\(escape("pass \(passed)/\(judged.count)\n" + list))</system-out>", "    </testcase>"]
        }
        let word = passed > 0 ? "FLAKY" : failing.outcome == .error ? "ERROR" : "FAIL"
        let message = "\(word) \(passed)/\(judged.count): " + (Matrix.reason(failing) ?? "failed")
        let tag = failing.outcome == .error && passed == 0 ? "error" : "failure"
        return [open + ">",
                "      <\(tag) message=\"\(escape(message))\">\(escape(message))</\(tag)>",
                "      <system-out>\(escape(list + "\n\nattempt \(failing.attempt ?? 0):\n" + FailureReport.text(for: failing)))</system-out>",
                "    </testcase>"]
    }

    /// `differs (F1): <reason>`: a run that failed only as declared.
    static func differs(_ r: ScenarioResult) -> String {
        r.differences.filter { !$0.gone }.map { "\($0): \($0.reason)" }.joined(separator: "; ")
    }

    static func seconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

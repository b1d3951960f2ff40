public import NATSFaultTimeline

/// Console progress: a line per run with its duration and verdict, details on failure.
public enum ConsoleReporter {
    public static func line(for result: ScenarioResult) -> String {
        let verdict: String = switch result.outcome {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .error: "ERROR"
        case .skipped: "SKIP"
        }
        var text = "\(verdict.padding(5)) \(result.title)  \(formatSeconds(result.wallSeconds))"
        if result.outcome == .skipped, let reason = result.reason { text += "  (\(reason))" }
        return text
    }

    /// The line plus, for failures and errors, the indented report.
    public static func entry(for result: ScenarioResult) -> String {
        let services = FailureReport.serviceInstances(result).map { "    " + $0 }
        guard result.outcome == .failed || result.outcome == .error else { return ([line(for: result)] + services).joined(separator: "\n") }
        let details = FailureReport.text(for: result).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        return ([line(for: result)] + services + details).joined(separator: "\n")
    }

    public static func summary(_ results: [ScenarioResult], wallSeconds: Double) -> String {
        func count(_ o: ScenarioResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        return "\(count(.passed)) passed, \(count(.failed) + count(.error)) failed, \(count(.skipped)) skipped"
            + " (\(count(.error)) of the failures were errors) in \(formatSeconds(wallSeconds))"
    }

    static func formatSeconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)s"
    }
}

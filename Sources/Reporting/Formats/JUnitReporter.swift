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
        let failures = results.filter { $0.outcome == .failed }.count
        let errors = results.filter { $0.outcome == .error }.count
        let skipped = results.filter { $0.outcome == .skipped }.count
        let time = results.map(\.wallSeconds).reduce(0, +)
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\"\(escape(suiteName))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(time))\">"]
        let byClass = Dictionary(grouping: results) { "\($0.client).nats-server-\($0.serverVersion)" }
        for (className, runs) in byClass.sorted(by: { $0.key < $1.key }) {
            out.append("  <testsuite name=\"\(escape(className))\" tests=\"\(runs.count)\" failures=\"\(runs.filter { $0.outcome == .failed }.count)\" errors=\"\(runs.filter { $0.outcome == .error }.count)\" skipped=\"\(runs.filter { $0.outcome == .skipped }.count)\" time=\"\(seconds(runs.map(\.wallSeconds).reduce(0, +)))\">")
            for r in runs {
                let open = "    <testcase classname=\"\(escape(className))\" name=\"\(escape("\(r.scenario) [\(r.client) × nats-server \(r.serverVersion)]"))\" file=\"\(escape(r.file))\" time=\"\(seconds(r.wallSeconds))\""
                switch r.outcome {
                case .passed:
                    out.append(open + "/>")
                case .skipped:
                    out.append(open + ">")
                    out.append("      <skipped message=\"\(escape(r.reason ?? "not applicable"))\"/>")
                    out.append("    </testcase>")
                case .failed, .error:
                    let tag = r.outcome == .failed ? "failure" : "error"
                    let first = r.reason ?? r.checks.first { !$0.passed }.map { "expected \($0.expected); observed \($0.observed)" } ?? "failed"
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

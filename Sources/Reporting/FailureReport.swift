public import NATSFaultTimeline
import Foundation

/// The readable account of a run: what was expected, what was observed, and the timeline around it.
public enum FailureReport {
    /// The full text for a failed or errored run (the console's details and JUnit's failure text).
    public static func text(for result: ScenarioResult, timelineLines: Int = 60) -> String {
        var out: [String] = []
        if let reason = result.reason { out.append("reason: \(reason)") }
        for check in result.checks where !check.passed {
            out.append("✗ \(check.location.map { "\($0): " } ?? "")expected \(check.expected)")
            out.append("    observed: \(check.observed)")
        }
        let passed = result.checks.filter(\.passed)
        if !passed.isEmpty {
            out.append("passed checks:")
            for check in passed { out.append("  ✓ \(check.expected) — \(check.observed)") }
        }
        out.append("timeline (times from the timeline's start):")
        out.append(contentsOf: timeline(result, limit: timelineLines).map { "  " + $0 })
        for (name, tail) in result.logs.sorted(by: { $0.key < $1.key }) where !tail.isEmpty {
            out.append("last lines of \(name):")
            out.append(contentsOf: tail.split(separator: "\n").suffix(12).map { "  | " + $0 })
        }
        return out.joined(separator: "\n")
    }

    /// The instance counts of each probed micro service over time, one line per service and server:
    /// `service orders on a: 2 instances at +3ms → 0 at +512ms → 1 at +1040ms`.
    public static func serviceInstances(_ result: ScenarioResult) -> [String] {
        var order: [String] = []
        var seen: [String: [String]] = [:]
        var last: [String: Int] = [:]
        for e in result.events where e.event == .serviceProbe {
            guard let instances = e.instances, let service = e.text?.split(separator: ":").first else { continue }
            let key = "service \(service) on \(e.server ?? "?")"
            guard last[key] != instances else { continue }
            last[key] = instances
            if seen[key] == nil { order.append(key) }
            seen[key, default: []].append("\(instances)\(seen[key] == nil ? " instance\(instances == 1 ? "" : "s")" : "") at \(offset(e.monoNs, result.startNs).trimmingCharacters(in: .whitespaces))")
        }
        return order.map { "\($0): " + seen[$0]!.joined(separator: " → ") }
    }

    /// One line per event, data traffic summarized (runs of the same party, event and outcome become one line),
    /// newest `limit` lines kept.
    public static func timeline(_ result: ScenarioResult, limit: Int) -> [String] {
        var lines: [String] = []
        var traffic: (count: Int, first: Int64, last: Int64, who: String, event: EventName, outcome: String, low: Int?, high: Int?)?
        func flushTraffic() {
            guard let t = traffic else { return }
            let seqs = t.low.map { low in " (seq \(low)-\(t.high ?? low))" } ?? ""
            lines.append("\(offset(t.first, result.startNs))  \(t.who): \(t.count) × \(t.event)\(t.outcome)\(seqs), until \(offset(t.last, result.startNs).trimmingCharacters(in: .whitespaces))")
            traffic = nil
        }
        for e in result.events {
            if e.isTraffic {
                let n = e.seqs?.count ?? 1
                let who = e.client.map { "client \($0)" } ?? e.server.map { "server \($0)" } ?? "harness"
                let outcome = e.error.map { " failed \($0.kind)" } ?? (e.ok == false ? " failed" : "")
                if let t = traffic, t.who == who, t.event == e.event, t.outcome == outcome {
                    traffic = (t.count + n, t.first, e.monoNs, who, e.event, outcome,
                               [t.low, e.seqs?.lowerBound].compactMap { $0 }.min(), [t.high, e.seqs?.upperBound].compactMap { $0 }.max())
                } else {
                    flushTraffic()
                    traffic = (n, e.monoNs, e.monoNs, who, e.event, outcome, e.seqs?.lowerBound, e.seqs?.upperBound)
                }
                continue
            }
            flushTraffic()
            lines.append("\(offset(e.monoNs, result.startNs))  \(line(e))")
        }
        flushTraffic()
        return lines.count > limit ? ["… \(lines.count - limit) earlier lines"] + lines.suffix(limit) : lines
    }

    static func line(_ e: RecordedEvent) -> String {
        let who = e.client.map { "client \($0)" } ?? e.server.map { "server \($0)" } ?? "harness"
        var text = "\(who): \(e.event)"
        if let url = e.url { text += " \(url)" }
        if let urls = e.urls { text += " \(urls.joined(separator: ","))" }
        if let stream = e.stream { text += " stream \(stream)" }
        if let seqs = e.seqs, e.event != .step { text += " seq \(seqs.lowerBound == seqs.upperBound ? "\(seqs.lowerBound)" : "\(seqs.lowerBound)-\(seqs.upperBound)")" }
        if let ok = e.ok, e.event != .expectation { text += ok ? " ok" : " failed" }
        if let error = e.error { text += " error \(error)" }
        if let t = e.text { text += " — \(t)" }
        return text
    }

    /// `+1234.5ms`, padded for alignment.
    static func offset(_ ns: Int64, _ start: Int64) -> String {
        let ms = Double(ns - start) / 1e6
        return ((ms >= 0 ? "+" : "") + String(format: "%.1fms", ms)).padding(10)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

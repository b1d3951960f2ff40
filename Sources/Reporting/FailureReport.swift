public import NATSFaultTimeline
import Foundation

/// The readable account of a run: what was expected, what was observed, and the timeline around it.
public enum FailureReport {
    /// How far before a failing check's anchor the account starts, to show what led to it.
    static let leadInNs: Int64 = 1_000_000_000
    /// How far past a check's decision the account goes, to show a late event.
    static let tailNs: Int64 = 500_000_000

    /// The full text for a failed or errored run (the console's details and JUnit's failure text).
    ///
    /// The account shows every step, fault, heal and state change of the run, and, around each failing check's window
    /// (from shortly before what it measured from to shortly after its decision), every event of the clients it
    /// concerns, runs of messages collapsed into one line each: the cause is never cut off by a line count.
    public static func text(for result: ScenarioResult) -> String {
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
        let focus = Focus(result)
        out.append("timeline (times from the timeline's start)" + (focus.describes.map { "; every event of \($0)" } ?? "") + ":")
        out.append(contentsOf: timeline(result, focus: focus).map { "  " + $0 })
        if let artifacts = result.artifacts { out.append("artifacts (full logs, driver transcripts, configs): \(artifacts)") }
        if let replay = result.replay { out.append("replay: \(replay.command)") }
        for (name, tail) in result.logs.sorted(by: { $0.key < $1.key }) where !tail.isEmpty {
            out.append("last lines of \(name):")
            out.append(contentsOf: tail.split(separator: "\n").suffix(12).map { "  | " + $0 })
        }
        return out.joined(separator: "\n")
    }

    /// Where a failure report looks closely: the time around the failing checks' windows, and the clients they concern.
    struct Focus {
        /// When every event of the focused clients is shown; nil: the whole run.
        var span: ClosedRange<Int64>?
        /// The clients whose every event is shown in the span (empty: every client).
        var clients: Set<String> = []
        /// The timeline's start, origin of the times shown.
        let origin: Int64

        init(_ result: ScenarioResult) {
            origin = result.startNs
            let windows = result.checks.filter { !$0.passed }.compactMap(\.window)
            // A failing check without a window (a count over the whole run) or an error: the whole run matters.
            guard !windows.isEmpty, windows.count == result.checks.filter({ !$0.passed }).count else { return }
            let from = windows.map(\.anchorNs).min()! - leadInNs
            let to = windows.map { ([$0.closesNs] + $0.seenNs).max()! }.max()! + tailNs
            span = from...to
            clients = Set(windows.flatMap { [$0.client].compactMap { $0 } + $0.otherClients })
        }

        /// Whether every event of this one is shown.
        func shows(_ e: RecordedEvent) -> Bool {
            guard let span else { return true }
            return span.contains(e.monoNs) && (clients.isEmpty || e.client.map(clients.contains) ?? true)
        }

        /// What the account looks at closely, in words.
        var describes: String? {
            guard let span else { return nil }
            let who = clients.isEmpty ? "every client" : "client\(clients.count == 1 ? "" : "s") \(clients.sorted().joined(separator: ", "))"
            func at(_ ns: Int64) -> String { offset(ns, origin).trimmingCharacters(in: .whitespaces) }
            return "\(who) from \(at(span.lowerBound)) to \(at(span.upperBound))"
        }
    }

    /// Events that tell the story of a run whatever the focus: steps, faults and heals, checks decided, servers
    /// starting and exiting, connections coming and going, errors.
    static let storyEvents: Set<EventName> = [.step, .fault, .heal, .expectation, .serverReady, .serverExited, .clusterReady, .teardown,
                                              .connected, .disconnected, .reconnected, .closed, .exited, .connectFailed, .serverErr,
                                              EventName(.error), EventName(.lameDuck)]

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

    /// One line per event the account shows (the story of the run, and everything of the focus), data traffic
    /// summarized: a run of the same party, event and outcome becomes one line with its sequence numbers and rate.
    static func timeline(_ result: ScenarioResult, focus: Focus) -> [String] {
        var lines: [(at: Int64, text: String)] = []
        var left = 0
        /// Runs of traffic still open, by party, event and outcome: several streams interleave without breaking each other's runs.
        var open: [TrafficRun.Key: TrafficRun] = [:]
        func close(_ key: TrafficRun.Key) {
            guard let run = open.removeValue(forKey: key) else { return }
            lines.append((run.first, run.line(origin: result.startNs)))
        }
        func closeAll() { for key in open.keys { close(key) } }
        for e in result.events {
            guard focus.shows(e) || storyEvents.contains(e.event) else {
                left += 1
                continue
            }
            guard e.isTraffic else {
                // What happened between runs of traffic stays between them.
                closeAll()
                lines.append((e.monoNs, "\(offset(e.monoNs, result.startNs))  \(line(e))"))
                continue
            }
            let key = TrafficRun.Key(e)
            // A gap in the sequence numbers (lost or skipped messages) starts a new run, so that it shows.
            if let run = open[key], !run.continues(with: e) { close(key) }
            if open[key] == nil { open[key] = TrafficRun(key: key, first: e.monoNs) }
            open[key]!.add(e)
        }
        closeAll()
        var texts = lines.sorted { $0.at < $1.at }.map(\.text)
        if left > 0 { texts.append("(\(left) other event\(left == 1 ? "" : "s") outside the focus left out; every event is in the run's result.json and --json)") }
        return texts
    }

    /// Consecutive traffic events of one party, one event and one outcome, shown as one line.
    struct TrafficRun {
        struct Key: Hashable {
            var who: String
            var event: EventName
            var outcome: String

            init(_ e: RecordedEvent) {
                who = e.client.map { "client \($0)" } ?? e.server.map { "server \($0)" } ?? "harness"
                event = e.event
                outcome = e.error.map { " failed \($0.kind)" } ?? (e.ok == false ? " failed" : "")
            }
        }

        let key: Key
        let first: Int64
        var last: Int64 = 0
        var count = 0
        var low: Int?
        var high: Int?

        init(key: Key, first: Int64) {
            self.key = key
            self.first = first
        }

        /// Whether `e`'s sequence numbers follow on from this run's without a gap.
        func continues(with e: RecordedEvent) -> Bool {
            guard let high, let next = e.seqs?.lowerBound else { return true }
            return next == high + 1
        }

        mutating func add(_ e: RecordedEvent) {
            count += e.seqs?.count ?? 1
            last = e.monoNs
            if let seqs = e.seqs {
                low = Swift.min(low ?? seqs.lowerBound, seqs.lowerBound)
                high = Swift.max(high ?? seqs.upperBound, seqs.upperBound)
            }
        }

        func line(origin: Int64) -> String {
            let seqs = low.map { low in " (seq \(low)-\(high ?? low))" } ?? ""
            let seconds = Double(last - first) / 1e9
            let rate = count > 1 && seconds > 0 ? ", \(Int((Double(count - 1) / seconds).rounded()))/s" : ""
            return "\(offset(first, origin))  \(key.who): \(count) × \(key.event)\(key.outcome)\(seqs)\(rate), until \(offset(last, origin).trimmingCharacters(in: .whitespaces))"
        }
    }

    static func line(_ e: RecordedEvent) -> String {
        let who = e.client.map { "client \($0)" } ?? e.server.map { "server \($0)" } ?? "harness"
        var text = "\(who): \(e.event)"
        if let url = e.url { text += " \(url)" }
        if let urls = e.urls { text += " \(urls.joined(separator: ","))" }
        if let stream = e.stream { text += " stream \(stream)" }
        if let seqs = e.seqs, e.event != .step { text += " seq \(seqs.lowerBound == seqs.upperBound ? "\(seqs.lowerBound)" : "\(seqs.lowerBound)-\(seqs.upperBound)")" }
        if let ok = e.ok, e.event != .expectation { text += ok ? " ok" : " failed" }
        // An error event names its error once: `client app: error timeout`, not `error error timeout`.
        if let error = e.errorDescription { text += e.event == EventName(.error) ? " \(error)" : " error \(error)" }
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

import Foundation
public import NATSFaultTimeline
import Synchronization

/// Console progress: a line as each run starts and as it ends (`[done/total]`, its verdict and duration, details on
/// failure), a live status line on a terminal; then the matrix, when there is more than one client or server, and the
/// summary. Quiet, only failures and the summary.
public final class ConsoleReporter: Reporter {
    let console: Console
    let quiet: Bool
    private let progress: Mutex<Progress>
    /// Redraws the status line every second, for the elapsed time; only on a terminal.
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    /// - Parameter quiet: print only the runs that fail and the summary.
    public init(console: Console, quiet: Bool = false) {
        self.console = console
        self.quiet = quiet
        progress = Mutex(Progress(startNs: MonotonicClock.nowNs()))
    }

    /// How far the suite has come.
    struct Progress {
        var total = 0
        var done = 0
        var running = 0
        var failed = 0
        var startNs: Int64

        /// `[ 3/12]`: runs done of the total, the count padded to the total's width.
        var counter: String {
            let width = String(total).count
            return "[" + String(repeating: " ", count: max(0, width - String(done).count)) + "\(done)/\(total)]"
        }

        /// `running 2 · done 5/12 · failed 1 · 0:42 elapsed · about 1:10 left`: the time left is the time per run so far
        /// times the runs left, which counts the runs going on at once.
        func status(nowNs: Int64) -> String {
            let elapsed = Double(nowNs - startNs) / 1e9
            var parts = ["running \(running)", "done \(done)/\(total)", "failed \(failed)", "\(Self.clock(elapsed)) elapsed"]
            if done > 0, done < total { parts.append("about \(Self.clock(elapsed / Double(done) * Double(total - done))) left") }
            return parts.joined(separator: " · ")
        }

        /// `1:05`, `1:02:03`.
        static func clock(_ seconds: Double) -> String {
            let s = Int(seconds.rounded())
            let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
            let mm = h > 0 && m < 10 ? "0\(m)" : "\(m)"
            return (h > 0 ? "\(h):" : "") + "\(mm):" + (r < 10 ? "0\(r)" : "\(r)")
        }
    }

    public func suiteStarted(runs: Int) {
        progress.withLock {
            $0.total = runs
            $0.startNs = MonotonicClock.nowNs()
        }
        guard console.capabilities.statusLine, !quiet else { return }
        redraw()
        ticker.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self?.redraw()
                }
            }
        }
    }

    public func runStarted(_ title: String) {
        let (counter, status) = progress.withLock {
            $0.running += 1
            return ($0.counter, statusText($0))
        }
        guard !quiet else { return }
        console.line("\(counter) start \(title)", status: status)
    }

    public func runFinished(_ result: ScenarioResult) {
        let (counter, status) = progress.withLock {
            // A skipped run never started.
            if result.outcome != .skipped || result.interrupted { $0.running = max(0, $0.running - 1) }
            $0.done += 1
            if result.isFailure { $0.failed += 1 }
            return ($0.counter, statusText($0))
        }
        if !quiet || result.isFailure {
            console.line("\(counter) " + Self.entry(for: result, colour: console.capabilities.colour), status: status)
        } else {
            redraw()
        }
    }

    public func suiteFinished(_ history: SuiteHistory) {
        ticker.withLock { $0?.cancel() }
        console.clearStatus()
        let matrix = Matrix(history.results)
        if !quiet {
            if matrix.clients.count > 1 || matrix.servers.count > 1 || !matrix.rates.isEmpty { console.line(matrix.console()) }
            let spreads = matrix.spreads
            if !spreads.isEmpty { console.line((["Times to what each expectation waited for, over the attempts:"] + spreads.map { "  " + $0 }).joined(separator: "\n")) }
        }
        console.line(Self.summary(history.results, wallSeconds: history.wallSeconds))
    }

    /// The status line for `progress`; nil when none is drawn (no terminal, or quiet).
    private func statusText(_ progress: Progress) -> String? {
        console.capabilities.statusLine && !quiet ? progress.status(nowNs: MonotonicClock.nowNs()) : nil
    }

    private func redraw() {
        guard let text = progress.withLock({ statusText($0) }) else { return }
        console.showStatus(text)
    }

    /// `PASS  scenario [client × nats-server version]  1.2s`, with what the run's verdict needs beside it; the verdict
    /// in colour when asked.
    public static func line(for result: ScenarioResult, colour: Bool = false) -> String {
        let (verdict, tint): (String, Tint) = switch result.outcome {
        case .passed: ("PASS", .green)
        case .failed: ("FAIL", .red)
        case .error: ("ERROR", .red)
        case .skipped: ("SKIP", .yellow)
        case .differs: ("DIFFERS", .yellow)
        }
        let padded = verdict.padding(5)
        var text = "\(colour ? tint.paint(padded) : padded) \(result.title)  \(formatSeconds(result.wallSeconds))"
        if result.outcome == .skipped, let reason = result.reason { text += "  (\(reason))" }
        if let pinned = result.pinned, !pinned.isEmpty {
            text += "  (" + pinned.sorted { $0.key < $1.key }.map { "client \($0.key) ran \($0.value)" }.joined(separator: ", ") + ")"
        }
        let differences = result.differences.map { "\($0): \($0.reason)" }
        if !differences.isEmpty { text += "  (" + differences.joined(separator: "; ") + ")" }
        return text
    }

    /// The line plus, for failures and errors, the indented report.
    public static func entry(for result: ScenarioResult, colour: Bool = false) -> String {
        let services = FailureReport.serviceInstances(result).map { "    " + $0 }
        guard result.isFailure else { return ([line(for: result, colour: colour)] + services).joined(separator: "\n") }
        let details = FailureReport.text(for: result).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        return ([line(for: result, colour: colour)] + services + details).joined(separator: "\n")
    }

    public static func summary(_ results: [ScenarioResult], wallSeconds: Double) -> String {
        func count(_ o: ScenarioResult.Outcome) -> Int { results.filter { $0.outcome == o && !$0.interrupted }.count }
        let interrupted = results.filter(\.interrupted).count
        var text = "\(count(.passed)) passed, \(count(.failed) + count(.error)) failed, \(count(.skipped)) skipped"
            + (count(.differs) > 0 ? ", \(count(.differs)) differ as declared" : "")
            + (interrupted > 0 ? ", \(interrupted) \(ScenarioResult.interruptedReason)" : "")
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

    /// The colours of verdicts, as ANSI escapes.
    enum Tint: String {
        case green = "32", red = "31", yellow = "33"

        func paint(_ text: String) -> String { "\u{1B}[1;\(rawValue)m\(text)\u{1B}[0m" }
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

import NATSFaultReporting
import NATSFaultScenario

/// `--shard K/N`: the K-th of N disjoint parts of a suite's runs, balanced by how long each run is expected to take.
///
/// Every shard computes the same partition over the whole plan, so that each run is in exactly one shard for any N:
/// runs are dealt longest first onto the least loaded shard, ties broken by the run's name.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// From 1 to `count`.
    public let index: Int
    public let count: Int

    /// `K/N` with 1 ≤ K ≤ N; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), 1 <= index, index <= count else { return nil }
        (self.index, self.count) = (index, count)
    }

    public var description: String { "\(index)/\(count)" }

    /// What a run takes besides its declared timeline, in seconds: starting and stopping its sandbox, servers and
    /// drivers, and the time clients take to do what its expectations wait for. With it, the estimates of the bundled
    /// matrix add up to what its runs measured on two cores.
    static let runOverheadSeconds = 1.5

    /// This shard's runs of the whole plan `runs`, in planned order, and what its results record of it; prints which
    /// shard it is and how many runs it got.
    ///
    /// - Parameter durations: measured wall times by cell; the runs they do not hold are estimated from their timelines.
    func part(of runs: [Plan.Run], durations: MeasuredDurations?, print: (String) -> Void) -> ([Plan.Run], ResultsDocument.Shard) {
        let seconds = runs.map { run in durations?.seconds(of: run) ?? Self.expectedSeconds(of: run) }
        let assigned = Self.partition(zip(runs, seconds).map { (key: $0.key, seconds: $1) }, count: count)
        let mine = runs.indices.filter { assigned[$0] == index - 1 }
        let record = ResultsDocument.Shard(index: index, count: count, plan: Self.digest(runs), planRuns: runs.count)
        guard !mine.isEmpty else {
            print("shard \(self): no runs for this shard (the plan has \(runs.count) for \(count) shards); nothing to run")
            return ([], record)
        }
        let total = mine.map { seconds[$0] }.reduce(0, +)
        let basis = durations.map { measured in
            let estimated = mine.filter { measured.seconds(of: runs[$0]) == nil }.count
            return "measured in \(measured.path)" + (estimated > 0 ? ", \(estimated) of them estimated from their timelines" : "")
        } ?? "estimated from their scenarios' timelines"
        print("shard \(self): \(mine.count) of the plan's \(runs.count) runs, about \(Int(total.rounded()))s (\(basis))")
        return (mine.map { runs[$0] }, record)
    }

    /// Which of `count` shards each item goes to, from 0: the longest first onto the least loaded shard (the first of
    /// them on a tie), items of equal length in the order of their keys.
    static func partition(_ items: [(key: String, seconds: Double)], count: Int) -> [Int] {
        let order = items.indices.sorted { a, b in
            items[a].seconds != items[b].seconds ? items[a].seconds > items[b].seconds : items[a].key < items[b].key
        }
        var loads = [Double](repeating: 0, count: count)
        var shards = [Int](repeating: 0, count: items.count)
        for item in order {
            let least = loads.indices.min { loads[$0] < loads[$1] }!
            shards[item] = least
            loads[least] += items[item].seconds
        }
        return shards
    }

    /// How long a run is expected to take, in seconds: its scenario's declared timeline and the overhead of a run;
    /// nothing for a skipped one.
    static func expectedSeconds(of run: Plan.Run) -> Double {
        guard run.skipReason == nil else { return 0 }
        return Double(run.scenario.expectedDuration.nanoseconds) / 1e9 + runOverheadSeconds
    }

    /// A digest of the plan's runs, the same in every shard of one plan.
    static func digest(_ runs: [Plan.Run]) -> String {
        String(Seeds.derive(0, runs.map(\.key)), radix: 16)
    }
}

/// The wall times an earlier run measured (`--durations RESULTS.json`), by cell: the mean over a cell's attempts.
struct MeasuredDurations: Sendable {
    let path: String
    private let seconds: [String: Double]

    /// - Throws: `RunError.invalidOption` when the file is not natsfault results.
    init(path: String) throws(RunError) {
        let document: ResultsDocument
        do { document = try ResultsDocument.read(path) } catch { throw .invalidOption("--durations: \(error)") }
        let byCell = Dictionary(grouping: document.runs, by: \.title)
        self.path = path
        seconds = byCell.mapValues { runs in runs.map(\.wallSeconds).reduce(0, +) / Double(runs.count) }
    }

    /// What `run`'s cell took, nil when the file does not hold it.
    func seconds(of run: Plan.Run) -> Double? {
        seconds[run.title]
    }
}

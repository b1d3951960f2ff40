import Foundation
import NATSFaultReporting
import NATSFaultScenario
import NATSFaultTimeline
@testable import NATSFaultRunner
import Testing

/// `--shard K/N`: disjoint parts of the whole plan, the same in every process, balanced by expected duration.
struct ShardTests {
    /// The bundled scenarios with the three shipped clients on two servers: the matrix CI shards.
    static func bundledPlan() throws -> [Plan.Run] {
        let scenarios = try ScenarioLoader.load([PlanTests.root.appendingPathComponent("scenarios").path])
        var runs = try PlanTests.runs(scenarios, clients: ["c", "go", "python"], servers: PlanTests.installed)
        for i in runs.indices { runs[i].position = i }
        return runs
    }

    static func part(_ shard: Shard, of runs: [Plan.Run], durations: MeasuredDurations? = nil) -> (runs: [Plan.Run], record: ResultsDocument.Shard, printed: [String]) {
        var printed: [String] = []
        let (mine, record) = shard.part(of: runs, durations: durations, print: { printed.append($0) })
        return (mine, record, printed)
    }

    @Test(arguments: ["1/1", "1/4", "4/4", "12/30"])
    func kOfNParses(_ text: String) throws {
        #expect(try #require(Shard(text)).description == text)
    }

    @Test(arguments: ["0/4", "5/4", "4", "a/b", "2/4/1", "-1/3", "/4", "1/", "", " 1/4", "1/0"])
    func anythingButKOfNWithKFrom1ToNIsRefused(_ text: String) {
        #expect(Shard(text) == nil)
    }

    @Test(arguments: 1...8)
    func everyRunOfTheBundledPlanIsInExactlyOneShard(_ count: Int) throws {
        let plan = try Self.bundledPlan()
        var seen: [String: Int] = [:]
        var records: Set<ResultsDocument.Shard> = []
        for index in 1...count {
            let (mine, record, printed) = Self.part(Shard("\(index)/\(count)")!, of: plan)
            for run in mine { seen[run.key, default: 0] += 1 }
            #expect(mine.map(\.position) == mine.map(\.position).sorted(), "a shard keeps the planned order")
            #expect(printed.count == 1 && printed[0].hasPrefix("shard \(index)/\(count): \(mine.count) of the plan's \(plan.count) runs"), "\(printed)")
            records.insert(ResultsDocument.Shard(index: 1, count: record.count, plan: record.plan, planRuns: record.planRuns))
        }
        #expect(seen.count == plan.count && seen.values.allSatisfy { $0 == 1 })
        #expect(records.count == 1 && records.first?.planRuns == plan.count, "every shard records the same plan")
    }

    /// The estimates of the bundled plan, dealt longest first: four shards within a few percent of each other. (How
    /// the measured wall times balance is in the README's CI section.)
    @Test func theBundledPlansEstimatesBalanceOverFourShards() throws {
        let plan = try Self.bundledPlan()
        let seconds = plan.map(Shard.expectedSeconds(of:))
        let assigned = Shard.partition(zip(plan, seconds).map { (key: $0.key, seconds: $1) }, count: 4)
        let loads = (0..<4).map { shard in plan.indices.filter { assigned[$0] == shard }.map { seconds[$0] }.reduce(0, +) }
        let mean = loads.reduce(0, +) / 4
        #expect(loads.max()! / mean < 1.05, "\(loads)")
        #expect(plan.filter { $0.skipReason != nil }.allSatisfy { Shard.expectedSeconds(of: $0) == 0 }, "a skipped run takes no time")
    }

    /// Where each run goes depends on its length and its name only, not on where it stands in the list.
    @Test func thePartitionDoesNotDependOnTheOrderOfTheRuns() {
        let items = (0..<40).map { (key: "run \($0)", seconds: Double($0 % 7) + ($0 % 3 == 0 ? 10 : 0)) }
        let forward = Shard.partition(items, count: 3)
        let backward = Shard.partition(items.reversed(), count: 3)
        #expect(Dictionary(uniqueKeysWithValues: zip(items.map(\.key), forward)) == Dictionary(uniqueKeysWithValues: zip(items.reversed().map(\.key), backward)))
    }

    @Test func longestFirstOntoTheLeastLoaded() {
        let assigned = Shard.partition([("a", 1), ("b", 5), ("c", 3), ("d", 3), ("e", 2)], count: 2)
        // b → 0; c before d (equal lengths, by name) → 1; d → 1 (3 < 5); e → 0 (5 < 6); a → 1 (6 < 7).
        #expect(assigned == [1, 0, 1, 1, 0])
        // Shards equally loaded: the first of them.
        #expect(Shard.partition([("y", 2), ("x", 2), ("z", 2)], count: 3) == [1, 0, 2])
    }

    @Test func moreShardsThanRunsLeavesSomeEmptyAndSaysSo() throws {
        let plan = Array(try Self.bundledPlan().prefix(3))
        let parts = (1...5).map { Self.part(Shard("\($0)/5")!, of: plan) }
        #expect(parts.map(\.runs.count).reduce(0, +) == 3)
        let empty = try #require(parts.first { $0.runs.isEmpty })
        #expect(empty.printed.first?.hasSuffix("no runs for this shard (the plan has 3 for 5 shards); nothing to run") == true, "\(empty.printed)")
    }

    /// With `--durations`, a cell's measured wall time counts, and a cell the file lacks is estimated.
    @Test func measuredDurationsBalanceTheShards() throws {
        let plan = Array(try Self.bundledPlan().filter { $0.skipReason == nil }.prefix(6))
        let slow = plan[5]
        var measured = plan.dropLast().map { run in
            ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: "", client: run.target.label,
                           serverVersion: run.target.server.version, outcome: .passed, wallSeconds: 1)
        }
        // One slow cell measured twice (two attempts): its mean counts.
        for wall in [90.0, 110.0] {
            measured.append(ScenarioResult(scenario: slow.scenario.name, file: slow.scenario.file, description: "", client: slow.target.label,
                                           serverVersion: slow.target.server.version, outcome: .passed, wallSeconds: wall))
        }
        measured.removeFirst()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("run.json").path
        try ResultsDocument(SuiteHistory(results: measured, wallSeconds: 200)).data().write(to: URL(fileURLWithPath: path))
        let durations = try MeasuredDurations(path: path)
        #expect(durations.seconds(of: slow) == 100 && durations.seconds(of: plan[0]) == nil && durations.seconds(of: plan[1]) == 1)
        let parts = (1...2).map { Self.part(Shard("\($0)/2")!, of: plan, durations: durations) }
        let alone = try #require(parts.first { $0.runs.contains { $0.key == slow.key } })
        #expect(alone.runs.count == 1, "the slow cell has a shard to itself")
        #expect(parts.contains { $0.printed.first?.contains("measured in \(path), 1 of them estimated from their timelines") == true }, "\(parts.map(\.printed))")
    }

    @Test func aDurationsFileThatIsNotResultsIsAnInvalidOption() throws {
        #expect(throws: RunError.self) { try MeasuredDurations(path: PlanTests.root.appendingPathComponent("Package.swift").path) }
    }
}

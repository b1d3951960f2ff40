import Foundation
import NATSFaultReporting
import NATSFaultTimeline
@testable import NATSFaultRunner
import Synchronization
import Testing

/// `natsfault merge`: the shards' results as one run's reports and verdict, or an error naming what does not fit.
struct MergeTests {
    /// A folder under TMPDIR, removed by `remove()`.
    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-merge-\(UUID().uuidString)")

        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

        /// Writes a results document of `runs` at `name` (folders created); returns its path.
        @discardableResult
        func write(_ name: String, _ runs: [ScenarioResult], shard: ResultsDocument.Shard? = nil, version: String? = NATSFaultVersion.current,
                   wall: Double = 10) throws -> String {
            var document = ResultsDocument(SuiteHistory(results: runs, wallSeconds: wall, shard: shard))
            document.natsfaultVersion = version
            let file = url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try document.data().write(to: file)
            return file.path
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static func run(_ scenario: String, _ client: String = "c", _ outcome: ScenarioResult.Outcome = .passed, position: Int, checksum: String = "aaaa") -> ScenarioResult {
        var r = ScenarioResult(scenario: scenario, file: "scenarios/\(scenario).yaml", description: "", client: client, serverVersion: "2.15.1", outcome: outcome,
                               reason: outcome == .skipped ? "not for \(client)" : nil, wallSeconds: 1)
        r.position = position
        r.replay = Replay(command: "natsfault run …", seed: 1, scenarioChecksum: checksum, library: nil, serverBinary: "nats-server 2.15.1", serverPath: "/s", serverChecksum: "bbbb")
        return r
    }

    static func shard(_ index: Int, of count: Int, planRuns: Int = 4) -> ResultsDocument.Shard {
        ResultsDocument.Shard(index: index, count: count, plan: "p1", planRuns: planRuns)
    }

    /// What `Merger.run` printed and returned.
    static func merge(_ paths: [String], reporters: [any Reporter] = []) async -> (status: NATSFaultRunner.ExitStatus, printed: [String]) {
        let printed = Mutex<[String]>([])
        // Lines on standard output and on standard error alike, in the order written.
        let console = Console(capabilities: .plain, write: { _, text in
            printed.withLock { $0 += text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
        })
        let status = await Merger.run(paths, reporters: reporters, console: console)
        return (status, printed.withLock { $0 })
    }

    @Test func shardsComeBackInPlannedOrderWithTheVerdictOfOneRun() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("shard-1/run.json", [Self.run("b", position: 1), Self.run("d", "go", .skipped, position: 3)], shard: Self.shard(1, of: 2), wall: 12)
        try folder.write("shard-2/run.json", [Self.run("a", position: 0), Self.run("c", "c", .failed, position: 2)], shard: Self.shard(2, of: 2), wall: 20)
        // A kept run's result.json beside them is not a results document: left out.
        try Data("{\"scenario\": \"b\"}".utf8).write(to: folder.url.appendingPathComponent("shard-1/result.json"))
        let files = try await Merger.find([folder.url.path])
        #expect(files.map { ($0.path as NSString).lastPathComponent } == ["run.json", "run.json"])
        #expect(try Merger.merge(files).map(\.scenario) == ["a", "b", "c", "d"])
        let json = folder.url.appendingPathComponent("merged/run.json").path
        let (status, printed) = await Self.merge([folder.url.path], reporters: [ConsoleReporter(console: Console(capabilities: .plain, write: { _, _ in })), JSONReporter(path: json)])
        #expect(status == .failed, "a failed run fails the merge, as it would have failed one run")
        #expect(printed == ["\(folder.url.path)/shard-1/run.json: shard 1/2, 2 runs in 12.0s", "\(folder.url.path)/shard-2/run.json: shard 2/2, 2 runs in 20.0s"])
        let merged = try ResultsDocument.read(json)
        #expect(merged.runs.map(\.scenario) == ["a", "b", "c", "d"] && merged.shard == nil && merged.wallSeconds == 20)
        #expect(merged.natsfaultVersion == NATSFaultVersion.current)
    }

    @Test func passedSkippedAndDeclaredDifferencesMergeToZero() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("one.json", [Self.run("a", position: 0), Self.run("b", "go", .skipped, position: 1)])
        let two = try folder.write("two.json", [Self.run("c", "python", .differs, position: 0)])
        #expect(await Self.merge([one, two]).status == .passed)
    }

    @Test func aRunInTwoFilesNamesTheRunAndBothFiles() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("one.json", [Self.run("a", position: 0)])
        let two = try folder.write("two.json", [Self.run("b", position: 0), Self.run("a", position: 1)])
        let (status, printed) = await Self.merge([one, two])
        #expect(status == .invalidInput)
        #expect(printed == ["error: a [c × nats-server 2.15.1] is in both \(one) and \(two): give each run's results once (the shards of one run are disjoint)"])
        // One file named twice (itself and its folder) is read once.
        #expect(await Self.merge([one, folder.url.path + "/"]).printed.first?.contains("is in both \(one) and \(two)") == true)
    }

    @Test func resultsOfDifferentNatsfaultVersionsDoNotMerge() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("one.json", [Self.run("a", position: 0)])
        let old = try folder.write("old.json", [Self.run("b", position: 0)], version: nil)
        let (status, printed) = await Self.merge([one, old])
        #expect(status == .invalidInput)
        #expect(printed == ["error: the results come from different natsfault versions (\(one): \(NATSFaultVersion.current), \(old): unrecorded); merge results of one version"])
    }

    @Test func oneScenarioRunFromDifferentFilesDoesNotMerge() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("one.json", [Self.run("a", position: 0, checksum: "1111111111111111")])
        let two = try folder.write("two.json", [Self.run("a", "go", position: 1, checksum: "2222222222222222")])
        let (status, printed) = await Self.merge([one, two])
        #expect(status == .invalidInput)
        #expect(printed.first?.hasPrefix("error: scenario a was run from different files: \(one) ran one with SHA-256 111111111111…, \(two) one with 222222222222…") == true, "\(printed)")
    }

    @Test func aMissingShardIsNamed() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("1.json", [Self.run("a", position: 0)], shard: Self.shard(1, of: 3))
        let three = try folder.write("3.json", [Self.run("c", position: 2)], shard: Self.shard(3, of: 3))
        let (status, printed) = await Self.merge([one, three])
        #expect(status == .invalidInput)
        #expect(printed == ["error: the shards of one plan (4 runs) are incomplete: given 1/3 (\(one)), 3/3 (\(three)); missing 2/3"])
    }

    /// Shards planned differently (another --durations file, another server installed) leave runs out: said, not merged.
    @Test func shardsThatDoNotHoldTheirWholePlanDoNotMerge() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let one = try folder.write("1.json", [Self.run("a", position: 0)], shard: Self.shard(1, of: 2, planRuns: 3))
        let two = try folder.write("2.json", [Self.run("c", position: 2)], shard: Self.shard(2, of: 2, planRuns: 3))
        let printed = await Self.merge([one, two]).printed
        #expect(printed.first?.hasPrefix("error: the shards \(one), \(two) hold 2 of their plan's 3 runs: they were not planned alike") == true, "\(printed)")
    }

    @Test func whatIsNotResultsIsNamed() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let text = folder.url.appendingPathComponent("notes.json")
        try Data("[1, 2]".utf8).write(to: text)
        #expect(await Self.merge([text.path]).printed == ["error: \(text.path) is not natsfault results: give the file of run --json"])
        #expect(await Self.merge([folder.url.path]).printed == ["error: \(folder.url.path) holds no natsfault results (.json files written by run --json)"])
        #expect(await Self.merge([folder.url.appendingPathComponent("gone.json").path]).printed == ["error: \(folder.url.path)/gone.json does not exist"])
        let damaged = folder.url.appendingPathComponent("damaged.json")
        try Data("{\"format\": \"natsfault-results\", \"runs\": [{\"scenario\": 1}]}".utf8).write(to: damaged)
        #expect(await Self.merge([damaged.path]).printed.first?.hasPrefix("error: \(damaged.path) says it is natsfault results but cannot be read as them") == true)
        let (status, printed) = await Self.merge([])
        #expect(status == .invalidInput && printed.first?.hasPrefix("error: no results to merge") == true)
    }
}

import Foundation
import NATSFaultTimeline
import Testing

/// What a run leaves behind: the kept folder of a failing run, and nothing at all under TMPDIR — after a passing run,
/// a failing one, an interrupted one, and (swept by the next run) a killed one.
extension EndToEndTests {
    /// A TMPDIR of the test's own, and a results folder, both removed afterwards.
    struct Places {
        let base: URL
        var temporary: URL { base.appendingPathComponent("tmp") }
        var results: URL { base.appendingPathComponent("results") }
        var environment: [String: String] { ["TMPDIR": temporary.path + "/"] }

        init() throws {
            base = try EndToEndTests.temporaryDirectory()
            try FileManager.default.createDirectory(at: base.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        }

        /// What is left in the TMPDIR.
        var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? ["(unreadable)"] }
    }

    @Test func aFailingRunKeepsEverythingAndTheTemporaryFolderIsEmpty() throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let json = places.base.appendingPathComponent("run.json").path
        let outcome = try Self.run(["run", "Tests/EndToEndTests/Fixtures/blackhole-loses-messages.yaml", "scenarios/graceful-server-restart.yaml",
                                    "--results", places.results.path, "--json", json], limit: 120, environment: places.environment)
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")

        // The console shows the cause next to the loss: the blackhole, its heal, and the gap in what the subscriber received.
        let report = outcome.output
        #expect(report.contains("subscriber: fault — proxy blackhole on subscriber"), "\(report)")
        #expect(report.contains("harness: heal — healed: proxy blackhole"))
        #expect(report.contains("lost seqs 101-400") || report.contains("lost seqs 1"), "\(report)")
        #expect(!report.contains("earlier lines"), "the account is never cut by a line count")

        let kept = places.results.appendingPathComponent("runs/blackhole-loses-messages/c-\(try Self.newestVersion(report))").path
        #expect(report.contains("artifacts (full logs, driver transcripts, configs): \(kept)"))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: kept))
        for expected in ["a.conf", "a.log", "publisher.driver.log", "subscriber.driver.log", "publisher.transcript.jsonl",
                         "subscriber.transcript.jsonl", "runner.log", "scenario.yaml", "faults.jsonl", "result.json"] {
            #expect(files.contains(expected), "\(expected) missing from \(files.sorted())")
        }
        // The server's log is whole, from its first line; the transcript has what was sent and what came back.
        let log = try String(contentsOfFile: "\(kept)/a.log", encoding: .utf8)
        #expect(log.contains("Starting nats-server") && log.contains("Server is ready"))
        let transcript = try String(contentsOfFile: "\(kept)/subscriber.transcript.jsonl", encoding: .utf8)
        #expect(transcript.contains(#""sent":{"#) && transcript.contains(#""op":"subscribe""#) && transcript.contains(#""event":"message""#))
        let faults = try String(contentsOfFile: "\(kept)/faults.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(faults.count == 2 && faults[0].contains(#""fault":"blackhole""#) && faults[1].contains(#""event":"heal""#), "\(faults)")
        // A passing run is not kept by default.
        #expect(!FileManager.default.fileExists(atPath: places.results.appendingPathComponent("runs/graceful-server-restart").path))

        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let result = try decoder.decode(ScenarioResult.self, from: Data(contentsOf: URL(fileURLWithPath: "\(kept)/result.json")))
        #expect(result.outcome == .failed && result.artifacts == kept)
    }

    @Test func keepAllAndKeepNone() throws {
        for (policy, kept) in [("all", true), ("none", false)] {
            let places = try Places()
            defer { try? FileManager.default.removeItem(at: places.base) }
            let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--keep", policy, "--results", places.results.path],
                                       limit: 60, environment: places.environment)
            #expect(outcome.status == 0, "\(outcome.output)")
            #expect(FileManager.default.fileExists(atPath: places.results.appendingPathComponent("runs/graceful-server-restart").path) == kept, "--keep \(policy)")
            #expect(places.leftovers.isEmpty, "--keep \(policy) left in TMPDIR: \(places.leftovers)")
        }
    }

    /// SIGINT and SIGTERM stop the runs going on, report what had finished, exit 130 and leave no temporary folder.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedSuiteReportsWhatFinishedAndCleansUp(_ signal: Int32) throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let junit = places.base.appendingPathComponent("junit.xml").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.natsfault)
        process.arguments = ["run", "scenarios", "--jobs", "2", "--junit", junit, "--results", places.results.path]
        process.currentDirectoryURL = Self.root
        process.environment = ProcessInfo.processInfo.environment.merging(places.environment) { _, ours in ours }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        // Long enough for some runs to finish and others to be under way.
        Thread.sleep(forTimeInterval: 6)
        kill(process.processIdentifier, signal)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM"):"), "\(output)")
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testcase "), "the finished runs are in the JUnit file")
    }

    /// A natsfault killed with SIGKILL cannot clean up; the next run sweeps its folder (and only folders whose natsfault is gone).
    @Test func theFolderOfAKilledRunIsSweptByTheNext() throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.natsfault)
        process.arguments = ["run", Self.fixtures.appendingPathComponent("long-running.yaml").path, "--results", places.results.path]
        process.currentDirectoryURL = Self.root
        process.environment = ProcessInfo.processInfo.environment.merging(places.environment) { _, ours in ours }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Killed once its run is under way (its folder exists).
        let deadline = Date().addingTimeInterval(20)
        while !places.leftovers.contains(where: { $0.hasPrefix("natsfault-\(process.processIdentifier)-") }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(places.leftovers.contains { $0.hasPrefix("natsfault-\(process.processIdentifier)-") }, "a killed natsfault leaves its folder: \(places.leftovers)")

        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--results", places.results.path], limit: 60, environment: places.environment)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(places.leftovers.isEmpty, "left in TMPDIR after the next run: \(places.leftovers)")
    }

    /// An unwritable results folder is refused before anything runs, naming the option.
    @Test func anUnwritableResultsFolderIsRefusedAtOnce() throws {
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--results", "/proc/natsfault"], limit: 30)
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("--results: cannot write kept runs under /proc/natsfault/runs"), "\(outcome.output)")
        #expect(!outcome.output.contains("PASS"))
    }

    /// A report path that cannot be written is refused before anything runs (exit 2), naming the option and why.
    @Test(arguments: [("--junit", "/proc/natsfault/junit.xml", "mkdir /proc/natsfault: No such file or directory"),
                      ("--json", "/tmp", "it is a folder; give a file name")])
    func anUnwritableReportPathIsRefusedAtOnce(_ option: String, _ path: String, _ reason: String) throws {
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", option, path], limit: 30)
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("error: \(option) \(path): cannot write the report there: \(reason)"), "\(outcome.output)")
        #expect(!outcome.output.contains("PASS"), "nothing ran")
    }

    /// The newest nats-server version a run's console output names.
    static func newestVersion(_ output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.contains("blackhole-loses-messages [c × nats-server ") })
        return String(line.split(separator: "nats-server ")[1].prefix { $0 != "]" })
    }
}

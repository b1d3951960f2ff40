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

    /// SIGINT and SIGTERM, sent to natsfault's whole process group as a terminal's Ctrl-C or a CI runner's cancel sends
    /// them: no run starts after them, the runs going on are torn down within 2 s, JUnit and JSON hold every finished run
    /// with its verdict and the rest as not run (interrupted), the summary is printed, natsfault exits 130 (SIGINT) or
    /// 143 (SIGTERM), and no nats-server, driver or temporary folder is left.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedSuiteReportsWhatFinishedAndCleansUp(_ signal: Int32) throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let junit = places.base.appendingPathComponent("junit.xml").path
        let json = places.base.appendingPathComponent("run.json").path
        let planned = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("scenarios").path).filter { $0.hasSuffix(".yaml") }.count
        let process = Process()
        // setsid: natsfault leads a session and process group of its own, which the signal goes to whole.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["--wait", Self.natsfault, "run", "scenarios", "--jobs", "2", "--junit", junit, "--json", json, "--results", places.results.path]
        process.currentDirectoryURL = Self.root
        process.environment = ProcessInfo.processInfo.environment.merging(places.environment) { _, ours in ours }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let natsfault = try #require(Self.natsfaultProcess(startedBy: process.processIdentifier), "natsfault never started")
        // Long enough for some runs to finish and others to be under way.
        Thread.sleep(forTimeInterval: 8)
        let running = ProcessTree.descendants(of: natsfault)
        #expect(running.values.contains { $0.hasSuffix("nats-server") }, "runs are under way: \(running)")
        let signalled = Date()
        kill(-natsfault, signal)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let stopping = Date().timeIntervalSince(signalled)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(process.terminationStatus == (signal == SIGINT ? 130 : 143), "\(output)")
        #expect(stopping < 2, "natsfault took \(stopping) s to stop after \(name)")
        #expect(output.contains(" not run (interrupted) (0 of the failures were errors) in "), "the summary: \(output)")

        // JUnit: a testcase for every planned run; the finished ones with their verdicts, the others skipped as not run.
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        let testcases = xml.components(separatedBy: "<testcase ").count - 1
        let notRun = xml.components(separatedBy: "<skipped message=\"not run (interrupted)\"/>").count - 1
        #expect(testcases == planned, "\(xml)")
        #expect(notRun > 0 && notRun < planned, "\(notRun) of \(planned) not run: \(xml)")
        #expect(!xml.contains("<error "), "no run reported as an error because it was cut short: \(xml)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let runs = try decoder.decode(ResultsDocument.self, from: Data(contentsOf: URL(fileURLWithPath: json))).runs
        #expect(runs.count == planned && runs.filter(\.interrupted).count == notRun)
        #expect(output.contains("interrupted by \(name): \(planned - notRun) of \(planned) runs finished; the others are reported as not run (interrupted)"), "\(output)")

        // Nothing left: no process of the runs, no temporary folder.
        let survivors = ProcessTree.survivors(of: running, waiting: 2)
        #expect(survivors.isEmpty, "still running after \(name): \(survivors)")
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
    }

    /// A second SIGINT while natsfault is still handling the first — here stuck writing to a full pipe, as behind a paused
    /// pager — ends it at once, without reports; no process of its runs (sandboxed or not) and no temporary folder is left.
    @Test(arguments: [true, false])
    func aSecondSIGINTEndsAtOnceLeavingNothing(sandboxed: Bool) throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let junit = places.base.appendingPathComponent("junit.xml").path
        var output: [Int32] = [0, 0]
        try #require(pipe(&output) == 0)
        // The smallest pipe natsfault's standard output can have: one page. A copy of its end stays here, to fill it.
        #expect(fcntl(output[1], 1031 /* F_SETPIPE_SZ */, 4096) == 4096)
        let fill = dup(output[1])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.natsfault)
        process.arguments = ["run", Self.fixtures.appendingPathComponent("long-running.yaml").path, "--junit", junit, "--results", places.results.path]
            + (sandboxed ? [] : ["--no-sandbox"])
        process.currentDirectoryURL = Self.root
        process.environment = ProcessInfo.processInfo.environment.merging(places.environment) { _, ours in ours }
        let errors = Pipe()
        process.standardOutput = FileHandle(fileDescriptor: output[1], closeOnDealloc: false)
        process.standardError = errors
        try process.run()
        defer {
            close(output[0])
            close(fill)
        }
        var tree: [Int32: String] = [:]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            tree = ProcessTree.descendants(of: process.processIdentifier)
            if tree.values.contains(where: { $0.hasSuffix("nats-server") }) && tree.values.contains(where: { $0.hasSuffix("natsfault-driver-c") }) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(tree.values.contains { $0.hasSuffix("nats-server") } && tree.values.contains { $0.hasSuffix("natsfault-driver-c") }, "the scenario never started: \(tree)")
        // Fill the pipe, so that natsfault's next line blocks: the first SIGINT's handling then cannot finish.
        let flags = fcntl(fill, F_GETFL)
        _ = fcntl(fill, F_SETFL, flags | O_NONBLOCK)
        // A byte at a time: a write up to the pipe's atomic size is all or nothing.
        var filled = 0
        var dot = UInt8(ascii: ".")
        while write(fill, &dot, 1) == 1 { filled += 1 }
        _ = fcntl(fill, F_SETFL, flags)
        #expect(filled > 0, "the pipe is full: errno \(errno)")
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 1)
        #expect(process.isRunning, "natsfault is stuck handling the first SIGINT")
        let signalled = Date()
        kill(process.processIdentifier, SIGINT)
        while process.isRunning && Date().timeIntervalSince(signalled) < 10 { Thread.sleep(forTimeInterval: 0.01) }
        let stopping = Date().timeIntervalSince(signalled)
        if process.isRunning {
            Issue.record("natsfault still runs 10 s after the second SIGINT; killed")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(said)")
        #expect(stopping < 1, "natsfault took \(stopping) s to end after the second SIGINT")
        #expect(said.contains("SIGINT again: stopping at once, without reports"), "\(said)")
        #expect(!FileManager.default.fileExists(atPath: junit), "no reports after a second SIGINT")
        let survivors = ProcessTree.survivors(of: tree, waiting: 5)
        #expect(survivors.isEmpty, "still running after a second SIGINT: \(survivors)")
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
    }

    /// The natsfault `setsid --wait` runs: itself when setsid did not have to fork, else its child.
    static func natsfaultProcess(startedBy setsid: Int32) -> Int32? {
        let executable = URL(fileURLWithPath: natsfault).resolvingSymlinksInPath().path
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if ProcessTree.executable(setsid) == executable { return setsid }
            if let child = ProcessTree.descendants(of: setsid).first(where: { $0.value == executable })?.key { return child }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
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
        #expect(outcome.output.contains("error: --results /proc/natsfault: the folder /proc/natsfault does not exist"), "\(outcome.output)")
        #expect(!outcome.output.contains("PASS"))
    }

    /// A report path that cannot be written is refused before anything runs (exit 2), naming the option and why in plain words.
    @Test(arguments: [("--junit", "/proc/natsfault/junit.xml", "the folder /proc/natsfault does not exist"),
                      ("--matrix-md", "/proc/natsfault/m/matrix.md", "the folder /proc/natsfault does not exist"),
                      ("--report", "/proc/version/report.html", "/proc/version is a file, not a folder"),
                      ("--json", "/tmp", "it is a folder; give a file name")])
    func anUnwritableReportPathIsRefusedAtOnce(_ option: String, _ path: String, _ reason: String) throws {
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", option, path], limit: 30)
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("error: \(option) \(path): \(reason)\n"), "\(outcome.output)")
        #expect(!outcome.output.contains("PASS"), "nothing ran")
    }

    /// The newest nats-server version a run's console output names.
    static func newestVersion(_ output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.contains("blackhole-loses-messages [c × nats-server ") })
        return String(line.split(separator: "nats-server ")[1].prefix { $0 != "]" })
    }
}

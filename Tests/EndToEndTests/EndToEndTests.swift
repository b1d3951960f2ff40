import Foundation
import NATSFaultTimeline
import Testing

/// Runs the real natsfault executable against real nats-server processes and the real nats.c driver.
@Suite(.serialized)
struct EndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The natsfault executable under test: `NATSFAULT_EXECUTABLE` (scripts/test sets it to the optimized build that
    /// users run), else the one built beside this test binary.
    static var natsfault: String {
        if let given = ProcessInfo.processInfo.environment["NATSFAULT_EXECUTABLE"], !given.isEmpty { return given }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("natsfault").path
    }

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs natsfault (or, with `executable`, another program) to completion.
    /// Runs natsfault and collects its output; a run still going after `limit` seconds is terminated (and then killed),
    /// so a hang of the harness fails its test instead of stalling the suite.
    /// - Parameter environment: variables set on top of this process's environment (`TMPDIR`).
    static func run(_ arguments: [String], executable: String = natsfault, limit: TimeInterval = 900, environment: [String: String] = [:]) throws -> Outcome {
        try #require(FileManager.default.isExecutableFile(atPath: natsfault), "build natsfault first: swift build (scripts/test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, ours in ours }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let watchdog = DispatchWorkItem { [process] in
            guard process.isRunning else { return }
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `--json` document, read as tooling reads it.
    struct ResultsDocument: Decodable {
        var format: String
        var version: Int
        var runs: [ScenarioResult]
    }

    /// Runs natsfault with `--json` into a temporary file and decodes every run's result from it.
    static func runWithResults(_ arguments: [String], limit: TimeInterval = 900) throws -> (outcome: Outcome, runs: [ScenarioResult]) {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("run.json")
        let outcome = try run(arguments + ["--json", json.path], limit: limit)
        let data = try #require(try? Data(contentsOf: json), "natsfault wrote no --json file: \(outcome.output)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let document = try decoder.decode(ResultsDocument.self, from: data)
        #expect(document.format == "natsfault-results" && document.version == 1)
        return (outcome, document.runs)
    }

    /// The run of `client` (there must be exactly one).
    static func only(_ runs: [ScenarioResult], client: String) throws -> ScenarioResult {
        let matching = runs.filter { $0.client == client }
        try #require(matching.count == 1, "expected one run with client \(client), got \(matching.map(\.title))")
        return matching[0]
    }

    @Test func bundledScenariosPassOnBothServerVersionsWithJUnitPerScenarioAndServer() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junit = dir.appendingPathComponent("junit.xml").path
        // The two ends of the installed range; the full six-version matrix is the main job's (scripts/run).
        let (outcome, runs) = try Self.runWithResults(["run", "scenarios", "--server", "2.9,2.15", "--jobs", "4", "--junit", junit])
        #expect(outcome.status == 0, "\(outcome.output)")

        let scenarios = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("scenarios").path).filter { $0.hasSuffix(".yaml") }
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        let versions = Set(runs.map(\.serverVersion))
        #expect(versions.contains { $0.hasPrefix("2.9.") } && versions.contains { $0.hasPrefix("2.15.") }, "both nats-server 2.9 and 2.15 must run; scripts/setup installs them")
        // The scenarios whose servers all pin their versions run once, whatever --server says.
        let pinned = ["rolling-upgrade.yaml", "mixed-version-cluster.yaml"]
        #expect(pinned.allSatisfy(scenarios.contains))
        let expectedRuns = (scenarios.count - pinned.count) * versions.count + pinned.count
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == expectedRuns)
        #expect(!xml.contains("<failure") && !xml.contains("<error"))

        #expect(runs.count == expectedRuns)
        #expect(Set(runs.map(\.scenario)) == Set(scenarios.map { String($0.dropLast(".yaml".count)) }))
        #expect(runs.allSatisfy { $0.outcome == .passed || $0.outcome == .skipped }, "\(runs.filter { $0.outcome != .passed }.map(\.title))")
        // Every run that was not skipped (the services scenarios skip for nats.c) injected its fault, except the
        // scenarios whose "fault" is a configuration: a server that is not there yet, a connection limit.
        let withoutFaultSteps = ["retry-on-failed-connect", "max-connections-exceeded", "mixed-version-cluster"]
        for run in runs where run.outcome != .skipped {
            #expect(run.events.contains { $0.event == .fault } || withoutFaultSteps.contains(run.scenario), "\(run.title)")
            #expect(run.events.allSatisfy { $0.monoNs > 0 })
            #expect(run.sandboxed, "every run gets its own namespaces")
        }
    }

    /// Two bundled scenarios across all three shipped clients and both servers: a testcase per
    /// combination, each named by scenario, client and server, and the Markdown matrix.
    @Test func theClientServerMatrixRunsEveryCombination() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junit = dir.appendingPathComponent("junit.xml").path
        let matrix = dir.appendingPathComponent("matrix.md").path
        let scenarios = ["graceful-server-restart", "client-ping-starvation"].map { "scenarios/\($0).yaml" }
        let (outcome, runs) = try Self.runWithResults(["run"] + scenarios + ["--client", "c,go,python", "--server", "2.9,2.15", "--jobs", "4",
                                                                             "--junit", junit, "--matrix-md", matrix])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(runs.count == 12 && runs.allSatisfy { $0.outcome == .passed }, "\(runs.map { "\($0.title) \($0.outcome)" })")
        for scenario in ["graceful-server-restart", "client-ping-starvation"] {
            for client in ["c", "go", "python"] {
                let versions = runs.filter { $0.scenario == scenario && $0.client == client }.map(\.serverVersion)
                #expect(versions.count == 2 && versions.contains { $0.hasPrefix("2.9.") } && versions.contains { $0.hasPrefix("2.15.") }, "\(scenario) × \(client): \(versions)")
            }
        }
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 12)
        for client in ["c", "go", "python"] {
            #expect(xml.contains("graceful-server-restart [\(client) × nats-server 2.9."), "\(xml)")
            #expect(xml.contains("client-ping-starvation [\(client) × nats-server 2.15."), "\(xml)")
        }
        let md = try String(contentsOfFile: matrix, encoding: .utf8)
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| graceful-server-restart |") || $0.hasPrefix("| client-ping-starvation |") }
        #expect(rows.count == 2 && rows.allSatisfy { $0.components(separatedBy: "| pass ").count - 1 == 6 }, "\(md)")
        #expect(outcome.output.contains("Matrix"))
    }

    /// connect-timeout declares F1 for python: its python runs differ as declared (green, a skipped testcase), the others
    /// pass. The same difference declared for nats.c, which does not have it, is gone: listed always, red with --strict.
    @Test func aKnownDifferenceIsGreenWhereItHappensAndRedUnderStrictWhereItIsGone() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junit = dir.appendingPathComponent("junit.xml").path
        let (declared, runs) = try Self.runWithResults(["run", "scenarios/connect-timeout.yaml", "--client", "c,python", "--strict", "--keep", "none", "--junit", junit],
                                                       limit: 120)
        #expect(declared.status == 0, "\(declared.output)")
        let python = try Self.only(runs, client: "python"), c = try Self.only(runs, client: "c")
        #expect(python.outcome == .differs && python.differences.map(\.finding) == ["F1"], "\(python.outcome) \(python.checks)")
        #expect(python.checks.contains { !$0.passed && $0.difference?.finding == "F1" && $0.difference?.gone == false })
        #expect(c.outcome == .passed && c.differences.isEmpty)
        #expect(declared.output.contains("DIFFERS connect-timeout [python × ") && declared.output.contains("differs (F1)"), "\(declared.output)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<skipped message=\"differs (F1): nats.py retries its first connect"), "\(xml)")
        #expect(!xml.contains("<failure") && !xml.contains("<error"))

        // Declared for c too: c does not differ, so for c the difference is gone.
        let text = try String(contentsOfFile: Self.root.appendingPathComponent("scenarios/connect-timeout.yaml").path, encoding: .utf8)
        let wrong = dir.appendingPathComponent("connect-timeout.yaml")
        try text.replacingOccurrences(of: "  - drivers: [python]", with: "  - drivers: [c, python]").write(to: wrong, atomically: true, encoding: .utf8)
        let lenient = try Self.run(["run", wrong.path, "--client", "c", "--keep", "none"], limit: 60)
        #expect(lenient.status == 0, "\(lenient.output)")
        #expect(lenient.output.contains("difference gone (F1): connect-timeout [c × "), "the summary always lists it: \(lenient.output)")
        let (strict, strictRuns) = try Self.runWithResults(["run", wrong.path, "--client", "c", "--strict", "--keep", "none"], limit: 60)
        #expect(strict.status == 1, "\(strict.output)")
        #expect(strictRuns.first?.outcome == .failed && strictRuns.first?.reason?.hasPrefix("difference gone (F1) (--strict)") == true, "\(strict.output)")
    }

    /// Drivers that flood events, write a 100 MB line or never end a line, and an application that prints forever: each
    /// is stopped at its limit (100,000 lines, 1 MiB a line) and its run ends in an error that says why, at once.
    @Test func driversAndApplicationsPastTheOutputLimitsAreStoppedWithTheReason() throws {
        let drivers = Self.fixtures.appendingPathComponent("drivers")
        let started = Date()
        let (outcome, runs) = try Self.runWithResults(["run", "scenarios/graceful-server-restart.yaml", Self.fixtures.appendingPathComponent("endless-application.yaml").path,
                                                       "--jobs", "2", "--keep", "none", "--client", "flood,longline,endless"]
                                                      + ["flood", "longline", "endless"].flatMap { ["--driver", "\($0)=\(drivers.appendingPathComponent($0).path)"] },
                                                      limit: 300)
        #expect(outcome.status == 1, "\(outcome.output)")
        let reasons = Dictionary(uniqueKeysWithValues: runs.filter { $0.scenario == "graceful-server-restart" }.map { ($0.client, $0.reason ?? "") })
        #expect(reasons["flood"]?.contains("natsfault stopped the driver of client app: it wrote more than 100000 events in one run") == true, "\(reasons)")
        for client in ["longline", "endless"] {
            #expect(reasons[client]?.contains("natsfault stopped the driver of client app: its output has a line longer than 1 MiB") == true, "\(client): \(reasons)")
        }
        #expect(runs.filter { $0.scenario == "graceful-server-restart" }.allSatisfy { $0.outcome == .error })
        let app = try #require(runs.first { $0.scenario == "endless-application" })
        #expect(app.outcome == .error && app.reason?.contains("natsfault stopped application chatty: it wrote more than 100000 lines in one run") == true, "\(app.reason ?? "")")
        #expect(app.timelineSeconds < 30, "stopped, not left to print for the whole run")
        #expect(Date().timeIntervalSince(started) < 240)
    }

    /// Drivers of the user's own (`--driver NAME=COMMAND`), three of them broken: one crashes at start,
    /// one says hello and never answers, one writes malformed lines. Each is a client failure with its
    /// stderr tail; the nats.c run beside them passes, and the whole run ends in time.
    @Test func brokenDriversAreClientFailuresAndTheRunGoesOn() throws {
        let drivers = Self.fixtures.appendingPathComponent("drivers")
        let started = Date()
        let (outcome, runs) = try Self.runWithResults(["run", "scenarios/graceful-server-restart.yaml", "--jobs", "4", "--client", "crash,mute,garbage,c"]
                                                      + ["crash", "mute", "garbage"].flatMap { ["--driver", "\($0)=\(drivers.appendingPathComponent($0).path)"] },
                                                      limit: 120)
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(Date().timeIntervalSince(started) < 60)
        let crash = try Self.only(runs, client: "crash"), mute = try Self.only(runs, client: "mute"), garbage = try Self.only(runs, client: "garbage")
        #expect(crash.outcome == .error && crash.reason?.contains("driver exploded: libfoo.so.1 missing") == true, "\(crash.reason ?? "")")
        #expect(mute.outcome == .error, "\(mute.reason ?? "")")
        #expect(mute.reason?.contains("stopped answering (during connect)") == true && mute.reason?.contains("mute driver: reading commands, answering none") == true)
        #expect(garbage.outcome == .error && garbage.reason?.contains("garbage driver: wrote junk") == true, "\(garbage.reason ?? "")")
        #expect(garbage.events.contains { $0.client == "app" && $0.text == "unparsable driver output: this is not json" })
        #expect(try Self.only(runs, client: "c").outcome == .passed)
        // The console names each broken driver's run as an error beside the passing one.
        for client in ["crash", "mute", "garbage"] { #expect(outcome.output.contains("ERROR graceful-server-restart [\(client) × ")) }
        #expect(outcome.output.contains("PASS  graceful-server-restart [c × "))
    }

    /// `natsfault conformance` passes every check for each shipped driver, on both server versions: each lists
    /// `jetstream`, so the six JetStream checks (v1.1) run too.
    @Test(arguments: ["c", "go", "python"], ["2.9", "2.15"])
    func conformancePassesForEveryShippedDriver(_ driver: String, _ server: String) throws {
        let outcome = try Self.run(["conformance", "--driver", driver, "--server", server], limit: 120)
        #expect(outcome.status == 0, "\(outcome.output)")
        let checks = outcome.output.split(separator: "\n").filter { $0.hasPrefix("PASS ") || $0.hasPrefix("FAIL ") || $0.hasPrefix("---- ") }
        #expect(checks.count == 25 && checks.allSatisfy { $0.hasPrefix("PASS ") }, "\(outcome.output)")
        for name in ["js_publish + js_ack", "js_publish failures", "js_consume pull", "js_consume push", "js_consume ack false", "js_consume unknown durable"] {
            #expect(checks.contains { $0.hasPrefix("PASS  \(name)  ") }, "\(name): \(outcome.output)")
        }
        #expect(outcome.output.contains("25 checks: 25 passed, 0 failed, 0 not run"))
    }

    /// A DRIVER-PROTOCOL 1.0 driver (the nats.go driver without `jetstream` in its hello, refusing the JetStream ops as
    /// unknown) passes: the one gated check `jetstream` in place of the six JetStream checks.
    @Test func conformanceOfADriverWithoutJetStreamChecksThatItRefusesTheOps() throws {
        let driver = Self.fixtures.appendingPathComponent("drivers/go-without-jetstream").path
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let outcome = try Self.run(["conformance", "--driver", driver, "--results", places.results.path], limit: 120, environment: places.environment)
        #expect(outcome.status == 0, "\(outcome.output)")
        let gated = outcome.output.split(separator: "\n").first { $0.hasPrefix("PASS  jetstream ") }
        #expect(gated?.hasSuffix(" capability not listed, and js_publish is refused: other") == true, "\(outcome.output)")
        #expect(!outcome.output.contains("js_publish + js_ack"))
        #expect(outcome.output.contains("20 checks: 20 passed, 0 failed, 0 not run"))
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
    }

    /// A driver with a wall-clock timestamp, an error kind outside the vocabulary, a close without its kind and publishes
    /// without their call times fails exactly the checks for those (the made-up kind for no responders also fails the
    /// JetStream publish to a subject no stream has).
    @Test func conformanceNamesWhatABuggyDriverGetsWrong() throws {
        let skewed = Self.fixtures.appendingPathComponent("drivers/skewed").path
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let outcome = try Self.run(["conformance", "--driver", skewed, "--results", places.results.path], limit: 120, environment: places.environment)
        #expect(outcome.status == 1, "\(outcome.output)")
        // Its logs are kept where they stay, not in TMPDIR.
        let kept = places.results.appendingPathComponent("conformance/skewed").path
        #expect(outcome.output.contains("the driver's stderr and the servers' logs: \(kept)"), "\(outcome.output)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: kept)) ?? []).contains { $0.hasSuffix(".driver.log") })
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
        let failed = outcome.output.split(separator: "\n").filter { $0.hasPrefix("FAIL ") }
            .map { $0.dropFirst(6).components(separatedBy: "  ").first ?? "" }
        #expect(Set(failed) == ["no responders", "shared clock", "error kinds", "closed after max reconnects", "subscribe + publish", "js_publish failures"],
                "\(outcome.output)")
        #expect(outcome.output.contains("expected error kind no_responders, got nobody_home"))
        #expect(outcome.output.contains("events off the shared CLOCK_MONOTONIC"))
        #expect(outcome.output.contains("closed with no error; a close after exhausted reconnects reports kind no_servers"))
        #expect(outcome.output.contains("published events lack an integer call_ns"))
        #expect(outcome.output.contains("a subject no stream has: expected error kind no_responders, got nobody_home"))
        #expect(outcome.output.contains("25 checks: 19 passed, 6 failed, 0 not run"))
    }

    @Test func conformanceOfAMissingDriverExitsThreeWithTheFix() throws {
        let unknown = try Self.run(["conformance", "--driver", "java"])
        #expect(unknown.status == 3, "\(unknown.output)")
        #expect(unknown.output.contains("driver \"java\" is not installed") && unknown.output.contains("--define java=COMMAND"))
        let missing = try Self.run(["conformance", "--driver", "./no/such/driver"])
        #expect(missing.status == 3, "\(missing.output)")
        #expect(missing.output.contains("no/such/driver is not an executable file"))
    }

    /// The service scenarios across the clients: nats.c has no micro-service API, so those skip for it with the
    /// reason; nats.go and nats.py pass them, and the report shows each service's instance counts over time.
    /// max-connections-exceeded and credentials-revoked pass for all three.
    @Test func serviceScenariosAcrossTheClients() throws {
        let services = ["service-down", "service-instance-loss", "service-restart"]
        let everyone = ["max-connections-exceeded", "credentials-revoked"]
        let (outcome, runs) = try Self.runWithResults(["run"] + (services + everyone).map { "scenarios/\($0).yaml" } + ["--client", "c,go,python", "--jobs", "3"],
                                                      limit: 300)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(runs.count == (services + everyone).count * 3)
        func run(_ scenario: String, _ client: String) throws -> ScenarioResult { try Self.only(runs.filter { $0.scenario == scenario }, client: client) }
        for name in services {
            let c = try run(name, "c")
            #expect(c.outcome == .skipped && c.reason?.contains("lacks the capability \"service\"") == true, "\(name): \(c.reason ?? "")")
            #expect(try run(name, "go").outcome == .passed && run(name, "python").outcome == .passed, "\(name)")
        }
        for name in everyone {
            for client in ["c", "go", "python"] { #expect(try run(name, client).outcome == .passed, "\(name) × \(client)") }
        }
        // The instance counts of service orders on server a over time, each change once.
        func counts(_ scenario: String, _ client: String) throws -> [Int] {
            try run(scenario, client).events.filter { $0.event == .serviceProbe && $0.server == "a" && $0.text?.hasPrefix("orders:") == true }
                .compactMap(\.instances).reduce(into: []) { if $0.last != $1 { $0.append($1) } }
        }
        for client in ["go", "python"] {
            #expect(try counts("service-down", client) == [2, 0, 1], "service-down × \(client)")
            #expect(try counts("service-instance-loss", client) == [3, 2, 3], "service-instance-loss × \(client)")
        }
        // The console shows the same counts, e.g. "service orders on a: 2 instances at +14.4ms → 0 at +1025.8ms → 1 at +1040.7ms".
        #expect(outcome.output.split(separator: "\n").filter { $0.contains("service orders on a: 2 instances at ") && $0.contains(" → 0 at ") }.count == 2)
    }

    /// The example application under test across a server restart: configured to reconnect forever it passes
    /// (the bundled scenario); with max_reconnects 0 it fails, and the report says what did not come back.
    @Test func theExampleApplicationPassesWellConfiguredAndFailsMisconfigured() throws {
        let (good, goodRuns) = try Self.runWithResults(["run", "scenarios/app-server-restart.yaml"], limit: 120)
        #expect(good.status == 0, "\(good.output)")
        #expect(goodRuns.map(\.scenario) == ["app-server-restart"] && goodRuns.allSatisfy { $0.outcome == .passed })

        let (bad, badRuns) = try Self.runWithResults(["run", "examples/inventory/misconfigured.yaml"], limit: 120)
        #expect(bad.status == 1, "\(bad.output)")
        let run = try #require(badRuns.first)
        #expect(badRuns.count == 1 && run.scenario == "app-server-restart-misconfigured" && run.outcome == .failed)
        let failed = run.checks.filter { !$0.passed }
        #expect(failed.contains { $0.expected.hasPrefix("inventory: output matching /reconnected to nats:/// at least 1 time within 4s") }, "\(failed)")
        #expect(failed.contains { $0.expected == "server a has exactly 1 open connection(s) named inventory within 4s" && $0.observed == "0 open" }, "\(failed)")
        #expect(failed.contains { $0.expected == "inventory.get on server a answers a request within 4s" }, "\(failed)")
        #expect(run.events.contains { $0.client == "inventory" && $0.event == .output && $0.text == "inventory: connection closed" })
        #expect(run.events.contains { $0.client == "inventory" && $0.event == .exited && $0.text == "exited(1)" })
        #expect(run.logs["application inventory"]?.isEmpty == false)
        // The console report says the same in words.
        #expect(bad.output.contains("FAIL  app-server-restart-misconfigured ["))
        #expect(bad.output.contains("expected server a has exactly 1 open connection(s) named inventory within 4s") && bad.output.contains("observed: 0 open"))
        #expect(bad.output.contains("last lines of application inventory:"))
    }

    @Test func anApplicationThatDoesNotExistExitsThreeNamingIt() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("missing-app.yaml")
        try """
        servers: [{name: a}]
        clients: [{name: shop, command: ./no-such-shop --flag}]
        assert: [{events: {client: shop, event: exited, count: 0}}]
        """.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try Self.run(["run", file.path])
        #expect(outcome.status == 3, "\(outcome.output)")
        #expect(outcome.output.contains("application shop: \(dir.path)/no-such-shop is not an executable file"), "\(outcome.output)")
    }

    @Test func aWrongExpectationFailsWithExitOneAndAReadableReport() throws {
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("wrong-expectation.yaml").path])
        #expect(outcome.status == 1)
        let run = try #require(runs.first)
        #expect(runs.count == 1 && run.scenario == "wrong-expectation" && run.outcome == .failed)
        let failed = run.checks.filter { !$0.passed }
        #expect(failed.count == 1 && failed.first?.expected == "app: closed at least 1 time within 1500ms after step \"restart\"" && failed.first?.observed == "none", "\(failed)")
        #expect(failed.first?.location?.hasSuffix("wrong-expectation.yaml:13:5") == true)
        #expect(run.events.contains { $0.client == "app" && $0.event == .reconnected })
        // The console report: the check with its location, what was observed, then the timeline.
        #expect(outcome.output.contains("FAIL  wrong-expectation"))
        #expect(outcome.output.contains("wrong-expectation.yaml:13:5: expected app: closed at least 1 time within 1500ms after step \"restart\""))
        #expect(outcome.output.contains("observed: none"))
        #expect(outcome.output.contains("timeline (times from the timeline's start); every event of client app from "))
        #expect(outcome.output.contains("client app: reconnected"))
    }

    /// The event a library reports after a server's `-ERR` carries the `-ERR`'s text (`wire_error`): matched by an
    /// expectation, written in `--json`, and shown beside the library's own error in the failure report and the HTML page.
    @Test func anEventAfterAServersErrCarriesWhatTheServerSaid() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("wire-error.yaml").path,
                                                       "--client", "c", "--server", "2.15", "--report", page.path])
        #expect(outcome.status == 1)
        let run = try Self.only(runs, client: "c")
        #expect(run.checks.map(\.passed) == [true, false], "\(run.checks)")
        let refused = try #require(run.events.first { $0.client == "late" && $0.event == .connectFailed })
        // nats.c reports this refusal either way, depending on timing: as protocol_error "Expected 'PONG', got ''" (the
        // case wire_error was made for) or with the server's text; what the server said is attached either way.
        #expect(refused.wireError == "maximum connections exceeded", "\(refused)")
        #expect(["protocol_error", "max_connections_exceeded"].contains(refused.error?.kind ?? ""), "\(refused)")
        #expect(outcome.output.contains("client late: connect_failed error \(refused.error?.kind ?? "?")"), "\(outcome.output)")
        #expect(outcome.output.contains("; the server said 'maximum connections exceeded'"), "\(outcome.output)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("the server said &#39;maximum connections exceeded&#39;") || html.contains("the server said 'maximum connections exceeded'"))
    }

    @Test func aMalformedFileExitsTwoNamingFileLineAndColumn() throws {
        let outcome = try Self.run(["run", Self.root.appendingPathComponent("Tests/ScenarioTests/Malformed/02-unknown-server-key.yaml").path])
        #expect(outcome.status == 2)
        #expect(outcome.output.contains("02-unknown-server-key.yaml:4:5: servers[0]: unknown key \"pign_interval\""))
        let validate = try Self.run(["validate", "Tests/ScenarioTests/Malformed/17-port-out-of-range.yaml"])
        #expect(validate.status == 2)
        #expect(validate.output.contains("17-port-out-of-range.yaml:4:11:"))
    }

    /// `natsfault schema` prints docs/scenario.schema.json as committed, byte for byte.
    @Test func theSchemaCommandPrintsTheCommittedSchema() throws {
        let outcome = try Self.run(["schema"], limit: 30)
        #expect(outcome.status == 0)
        let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/scenario.schema.json"), encoding: .utf8)
        #expect(outcome.output == committed, "regenerate it: natsfault schema > docs/scenario.schema.json")
    }

    @Test func invalidArgumentsExitTwo() throws {
        let outcome = try Self.run(["run", "scenarios", "--jobs", "0"])
        #expect(outcome.status == 2)
        #expect(outcome.output.contains("--jobs must be 1 or more, got 0"))
        #expect(try Self.run(["run", "no/such/folder"]).status == 2)
    }

    @Test func aMissingServerBinaryExitsThreeWithTheFix() throws {
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--server-binary", "/nonexistent/nats-server"])
        #expect(outcome.status == 3)
        #expect(outcome.output.contains("no nats-server at /nonexistent/nats-server found"))
        #expect(outcome.output.contains("natsfault servers install 2.15 (or scripts/setup, for every version)"), "\(outcome.output)")
        let version = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--server", "3.1"])
        #expect(version.status == 3, "\(version.output)")
        #expect(version.output.contains("no nats-server version 3.1 found"), "\(version.output)")
        #expect(version.output.contains("install it: natsfault servers install 3.1"), "\(version.output)")
    }

    /// client-crash: a killed driver is a client event, not a harness crash; reload-revokes-user: SIGHUP
    /// with a changed user list; requests: request/reply outcomes; mixed-versions: servers pinned to versions;
    /// proxy-link-faults: every link-level proxy fault with an effect the scenario checks; ping-faults:
    /// drop_pings and delay_pongs; cut-client: one client cut off its node fails over through its own links.
    @Test(arguments: ["client-crash", "reload-revokes-user", "requests", "mixed-versions", "proxy-link-faults", "ping-faults", "cut-client", "declared-driver"])
    func fixtureScenarioPasses(_ name: String) throws {
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("\(name).yaml").path])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(runs.map(\.scenario) == [name] && runs.allSatisfy { $0.outcome == .passed }, "\(runs.map { "\($0.title) \($0.outcome)" })")
        if name == "declared-driver" {
            // The service pins its own driver: the run says what actually ran beside the column's nats.c.
            #expect(runs.first?.pinned == ["service": "mine"] && outcome.output.contains("(client service ran mine)"), "\(outcome.output)")
        }
    }

    @Test func aMissingDriverCapabilitySkipsTheRunWithTheReason() throws {
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("needs-service.yaml").path])
        #expect(outcome.status == 0)
        let run = try #require(runs.first)
        #expect(runs.count == 1 && run.scenario == "needs-service" && run.outcome == .skipped)
        #expect(run.reason?.contains("lacks the capability \"service\"") == true, "\(run.reason ?? "")")
        #expect(outcome.output.contains("SKIP  needs-service"))
        #expect(outcome.output.contains("0 passed, 0 failed, 1 skipped"))
    }

    @Test func filterListAndDoctor() throws {
        let (filtered, runs) = try Self.runWithResults(["run", Self.fixtures.path, "--filter", "req*s"])
        #expect(filtered.status == 0, "\(filtered.output)")
        #expect(runs.map(\.scenario) == ["requests"] && runs.allSatisfy { $0.outcome == .passed }, "\(runs.map(\.title))")
        #expect(try Self.run(["run", Self.fixtures.path, "--filter", "no-such-scenario"]).status == 2)

        let list = try Self.run(["list", "scenarios"])
        #expect(list.status == 0)
        #expect(list.output.contains("server-crash-restart\n    The server is SIGKILLed"))
        #expect(list.output.contains("faults: restart"))

        let doctor = try Self.run(["doctor"])
        #expect(doctor.status == 0, "\(doctor.output)")
        #expect(doctor.output.contains("✓ nats-server 2.15.1") && doctor.output.contains("✓ nats-server 2.9.10"))
        #expect(doctor.output.contains("✓ namespaces"))
        #expect(doctor.output.contains("✓ driver c (nats.c 3."), "\(doctor.output)")
        #expect(doctor.output.contains("✓ firewall faults"))
    }

    /// doctor's libiptc round trip, handed to a sandboxed natsfault as one document (as `doctor` does), with its lines.
    @Test func firewallRulesRoundTripThroughLibiptcInsideANamespace() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", Self.natsfault, "_sandboxed"]
        let input = Pipe(), pipe = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, pipe, pipe)
        try process.run()
        input.fileHandleForWriting.write(Data(#"{"kind":"firewall-round-trip","sandboxed":true,"logLevel":"warning","work":{}}"#.utf8 + [10]))
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 0, "\(String(decoding: data, as: UTF8.self))")
        struct Check: Decodable { var lines: [String]; var passed: Bool }
        let check = try JSONDecoder().decode(Check.self, from: data)
        let output = check.lines.joined(separator: "\n")
        #expect(check.passed && check.lines.count == 10 && check.lines.allSatisfy { $0.hasPrefix("ok") }, "\(output)")
        #expect(output.contains("ok   added  8 rules in one commit: tcp dpt:0 spt:0 src:- dst:127.2.1.2 -> DROP; tcp dpt:0 spt:0 src:127.2.1.2 dst:- -> DROP"))
        #expect(output.contains("tcp dpt:4222 spt:0 src:127.0.0.3 dst:- -> REJECT tcp-reset (not RST)"))
        #expect(output.contains("tcp dpt:0 spt:8222 src:127.0.0.2 dst:- -> REJECT icmp-port-unreachable"))
    }

    /// The sandboxed entry point is for natsfault itself: without a document it says so and exits 2.
    @Test func theSandboxedEntryPointWantsItsDocument() throws {
        let outcome = try Self.run(["_sandboxed"], limit: 30)
        #expect(outcome.status == 2 && outcome.output.contains("no work on standard input"), "\(outcome.output)")
    }

    @Test func runsUnsandboxedWhenAskedTo() throws {
        let (outcome, runs) = try Self.runWithResults(["run", "scenarios/graceful-server-restart.yaml", "--no-sandbox"])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(runs.count == 1 && runs.allSatisfy { $0.outcome == .passed && !$0.sandboxed }, "--no-sandbox must run on the host's loopback")
    }

    /// A driver still reporting when its connect's window ends is alive: the run fails with what it did, its other
    /// checks judged, instead of erroring as a dead driver.
    @Test func aConnectRetriedPastItsWindowFailsTheRunWithWhatTheClientDid() throws {
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("connect-retried-forever.yaml").path, "--keep", "none"], limit: 120)
        #expect(outcome.status == 1, "\(outcome.output)")
        let run = try #require(runs.first)
        #expect(run.outcome == .failed, "\(run.reason ?? "")")
        let pending = try #require(run.checks.first { $0.location == "harness" }, "\(outcome.output)")
        #expect(!pending.passed && pending.observed.contains("still going after 16s") && pending.observed.contains("error (max_connections_exceeded)"), "\(pending.observed)")
        #expect(run.checks.contains { $0.passed && $0.expected.hasPrefix("first: disconnected exactly 0 times") }, "the other checks are judged")
        #expect(run.wallSeconds < 40, "settling does not wait for the connect: \(run.wallSeconds) s")
    }

    /// Firewall, partition and cut steps without a sandbox are refused when the run is planned, before any server starts.
    @Test func firewallStepsWithoutASandboxAreRefusedBeforeAnythingStarts() throws {
        let started = Date()
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "scenarios/firewall-drop.yaml", "scenarios/cluster-partition.yaml",
                                    "--no-sandbox"], limit: 60)
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("scenarios/firewall-drop.yaml:21:5: firewall") && outcome.output.contains("scenarios/cluster-partition.yaml:33:5: partition"),
                "\(outcome.output)")
        #expect(outcome.output.contains("--no-sandbox runs on the host, and natsfault never changes the host's firewall"))
        // Nothing ran: not even the scenario without firewall steps.
        #expect(!outcome.output.contains("PASS") && !outcome.output.contains("graceful-server-restart ["), "\(outcome.output)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// A reject in both directions lets the resets of its inbound rule reach the client: it disconnects within 200 ms.
    @Test func aRejectInBothDirectionsIsNoticedAtOnce() throws {
        let (outcome, runs) = try Self.runWithResults(["run", Self.fixtures.appendingPathComponent("reject-both-ways.yaml").path, "--keep", "none"], limit: 120)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(runs.count == 1 && runs[0].outcome == .passed, "\(outcome.output)")
    }

    @Test(arguments: [true, false])
    func aSIGKILLedRunLeavesNoProcessBehind(sandboxed: Bool) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.natsfault))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.natsfault)
        process.arguments = ["run", Self.fixtures.appendingPathComponent("long-running.yaml").path] + (sandboxed ? [] : ["--no-sandbox"])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let root = process.processIdentifier

        // Wait until the scenario is under way: a nats-server and a driver among natsfault's descendants.
        var tree: [Int32: String] = [:]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            tree = ProcessTree.descendants(of: root)
            if tree.values.contains(where: { $0.hasSuffix("nats-server") }) && tree.values.contains(where: { $0.hasSuffix("natsfault-driver-c") }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(tree.values.contains { $0.hasSuffix("nats-server") }, "the scenario never started: \(tree)")
        #expect(tree.values.contains { $0.hasSuffix("natsfault-driver-c") })

        kill(root, SIGKILL)
        process.waitUntilExit()
        let survivors = ProcessTree.survivors(of: tree, waiting: 10)
        #expect(survivors.isEmpty, "still running after natsfault was SIGKILLed: \(survivors)")
    }

    /// A hung micro service instance (pause_client: SIGSTOP with its connection open), on both servers: nats.c skips
    /// (no micro-service API); for nats.go and nats.py requests time out while it hangs (not no_responders), discovery
    /// counts it out, the server closes it as stale, and after the SIGCONT it reconnects and answers. The same
    /// scenario with a client that never reconnects fails, on what did not come back.
    @Test func aHungServiceIsFoundOutAndComesBackOnlyIfItReconnects() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("run.json").path
        let outcome = try Self.run(["run", "scenarios/service-hung.yaml", "Tests/EndToEndTests/Fixtures/service-hung-no-reconnect.yaml",
                                    "--client", "c,go,python", "--server", "2.9,2.15", "--jobs", "4", "--json", json], limit: 300)
        #expect(outcome.status == 1, "the never-reconnecting variant fails: \(outcome.output)")
        struct Document: Decodable { var runs: [ScenarioResult] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let runs = try decoder.decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: json))).runs
        #expect(runs.count == 2 * 3 * 2)
        for run in runs where run.client == "c" {
            #expect(run.outcome == .skipped && run.reason?.contains("lacks the capability \"service\"") == true, "\(run.title)")
        }
        for run in runs where run.client != "c" {
            let hung = run.scenario == "service-hung"
            #expect(run.outcome == (hung ? .passed : .failed), "\(run.title): \(run.reason ?? "") \(run.checks.filter { !$0.passed })")
            let whileHung = run.events.filter { $0.event == .requestResult && $0.stream == "while-hung" }
            #expect(whileHung.count == 2 && whileHung.allSatisfy { $0.error?.kind == "timeout" }, "\(run.title): \(whileHung)")
            #expect(run.events.contains { $0.event == .fault && $0.fault == "pause_client" && $0.client == "orders-1" })
            #expect(run.events.contains { $0.event == .heal && ($0.text ?? "").contains("pause client orders-1") })
            let stale = run.checks.first { $0.expected.contains("Stale Connection") }
            #expect(stale?.passed == true, "\(run.title): the server closed the hung connection as stale")
            let reconnected = run.events.contains { $0.event == .reconnected && $0.client == "orders-1" }
            #expect(reconnected == hung, "\(run.title)")
        }
    }
}

/// Reads the process tree from /proc.
enum ProcessTree {
    /// Every descendant of `root`, by pid, with its executable path.
    static func descendants(of root: Int32) -> [Int32: String] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parents[pid] = ppid }
        }
        var result: [Int32: String] = [:]
        var frontier = [root]
        while let next = frontier.popLast() {
            for (pid, ppid) in parents where ppid == next && result[pid] == nil {
                result[pid] = executable(pid) ?? "?"
                frontier.append(pid)
            }
        }
        return result
    }

    static func executable(_ pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// The processes of `tree` still running after up to `seconds`.
    static func survivors(of tree: [Int32: String], waiting seconds: TimeInterval) -> [Int32: String] {
        var left = tree
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            left = left.filter { isAlive($0.key, executable: $0.value) }
            if !left.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        } while !left.isEmpty && Date() < deadline
        return left
    }

    /// Whether `pid` still runs the same executable (not a zombie, not a reused pid).
    static func isAlive(_ pid: Int32, executable path: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && executable(pid) == path
    }
}

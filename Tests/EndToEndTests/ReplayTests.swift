import Foundation
import NATSFaultTimeline
import Testing

/// Getting a run back: its replay command reproduces its verdict, `replay` re-runs failed cells from a results file,
/// and `--repeat` tells a flaky cell from a broken one.
extension EndToEndTests {
    @Test func aFailedRunIsReplayedFromItsResultsAndFailsAgain() throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let json = places.base.appendingPathComponent("run.json").path
        let first = try Self.run(["run", "Tests/EndToEndTests/Fixtures/blackhole-loses-messages.yaml", "scenarios/graceful-server-restart.yaml",
                                  "--seed", "7", "--json", json, "--results", places.results.path], limit: 120, environment: places.environment)
        #expect(first.status == 1 && first.output.contains("seed 7 (the same seeds again: --seed 7)"), "\(first.output)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        struct Document: Decodable { var runs: [ScenarioResult] }
        let runs = try decoder.decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: json))).runs
        let failed = try #require(runs.first { $0.outcome == .failed })
        let replay = try #require(failed.replay)
        #expect(replay.command.hasPrefix("natsfault run Tests/EndToEndTests/Fixtures/blackhole-loses-messages.yaml --client c --server /"))
        #expect(replay.command.contains("--run-seed \(replay.seed)") && replay.scenarioChecksum.count == 64 && replay.serverChecksum.count == 64)
        #expect(replay.library == "publisher: nats.c 3.4.1, subscriber: nats.c 3.4.1")
        #expect(first.output.contains("replay: \(replay.command)"), "the console names the replay command")
        // The same seed derives the same run seeds.
        let again = try Self.run(["run", "Tests/EndToEndTests/Fixtures/blackhole-loses-messages.yaml", "--seed", "7", "--keep", "none", "--json", json],
                                 limit: 120, environment: places.environment)
        let rerun = try decoder.decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: json))).runs
        #expect(again.status == 1 && rerun.first?.replay?.seed == replay.seed)

        // natsfault replay: only the failed cell, reproduced.
        try JSONEncoder.snakeCase.encode(["format": AnyEncodable("natsfault-results"), "version": AnyEncodable(1), "runs": AnyEncodable(runs)])
            .write(to: URL(fileURLWithPath: json))
        let replayed = try Self.run(["replay", json], limit: 120, environment: places.environment)
        #expect(replayed.status == 0, "\(replayed.output)")
        #expect(replayed.output.contains("replaying blackhole-loses-messages [c × nats-server "), "\(replayed.output)")
        #expect(replayed.output.contains("reproduced: blackhole-loses-messages [c × nats-server ") && replayed.output.contains("failed again"))
        #expect(!replayed.output.contains("replaying graceful-server-restart"), "a passed cell is not replayed unless asked")
        #expect(places.leftovers.isEmpty, "left in TMPDIR: \(places.leftovers)")
    }

    @Test func replayRefusesWhatIsNotResultsAndNamesTheCasesItHas() throws {
        let notResults = try Self.run(["replay", "README.md"], limit: 30)
        #expect(notResults.status == 2 && notResults.output.contains("README.md is not natsfault results"), "\(notResults.output)")
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let json = places.base.appendingPathComponent("run.json").path
        _ = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--json", json], limit: 60, environment: places.environment)
        let noCase = try Self.run(["replay", json, "--case", "no-such-scenario"], limit: 30)
        #expect(noCase.status == 2 && noCase.output.contains("no case of \(json) matches \"no-such-scenario\"; its cases:")
                && noCase.output.contains("graceful-server-restart [c × nats-server "), "\(noCase.output)")
    }

    @Test func repeatGivesEveryCellARateAndRefusesZero() throws {
        let places = try Places()
        defer { try? FileManager.default.removeItem(at: places.base) }
        let junit = places.base.appendingPathComponent("junit.xml").path
        let outcome = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "Tests/EndToEndTests/Fixtures/blackhole-loses-messages.yaml",
                                    "--repeat", "3", "--jobs", "3", "--junit", junit, "--results", places.results.path], limit: 180, environment: places.environment)
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(outcome.output.contains("graceful-server-restart   pass 3/3"), "\(outcome.output)")
        #expect(outcome.output.contains("blackhole-loses-messages  FAIL 0/3"), "\(outcome.output)")
        #expect(outcome.output.contains("(min / median / max of 3)"), "the spread of each expectation's time")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 2, "one testcase per cell")
        #expect(xml.contains("message=\"FAIL 0/3: expected stream orders at subscriber"))
        for attempt in 1...3 {
            #expect(FileManager.default.fileExists(atPath: places.results.appendingPathComponent("runs/blackhole-loses-messages").path + "/c-\(try Self.newestVersion(outcome.output))-\(attempt)"))
        }

        for bad in ["0", "-2"] {
            let refused = try Self.run(["run", "scenarios/graceful-server-restart.yaml", "--repeat=\(bad)"], limit: 30)
            #expect(refused.status == 2 && refused.output.contains("--repeat must be 1 or more, got \(bad)"), "\(refused.output)")
        }
    }
}

/// Any encodable value, for writing a results document by hand.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

extension JSONEncoder {
    /// As natsfault writes its JSON.
    static var snakeCase: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}

extension EndToEndTests {
    /// A failed expectation's window keeps the event that came after it closed, for reports to draw where it came.
    @Test func aLateEventIsInTheFailedWindow() throws {
        let (outcome, runs) = try Self.runWithResults(["run", "Tests/EndToEndTests/Fixtures/late-reconnect.yaml", "--keep", "none"], limit: 60)
        #expect(outcome.status == 1, "\(outcome.output)")
        let window = try #require(runs.first?.checks.first?.window)
        #expect(runs.first?.checks.first?.passed == false)
        #expect(window.seenNs.count == 1 && window.seenNs[0] > window.closesNs, "the late reconnect, after the window: \(window)")
    }
}

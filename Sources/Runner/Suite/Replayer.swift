import Foundation
import NATSFaultProcess
public import NATSFaultReporting
import NATSFaultTimeline
import Synchronization

/// `natsfault replay RESULTS.json [--case PATTERN]`: carries recorded runs out again with the same inputs — the same
/// scenario file, client, server binary and seed — and says whether each verdict came back.
public enum Replayer {
    /// Replays the failed runs of a results file (or those whose title matches `pattern`).
    ///
    /// - Returns: 0 when every verdict reproduced, 1 when one did not, 2 for a file that is not natsfault results or a
    ///   case that is not in it.
    public static func run(_ path: String, case pattern: String?, console: Console) async -> ExitStatus {
        let runs: [ScenarioResult]
        do { runs = try results(in: path) } catch {
            console.problem("error: \(error)")
            return .invalidInput
        }
        let chosen = runs.filter { run in pattern.map { ScenarioLoader.matches(run.title, filter: $0) } ?? (run.outcome == .failed || run.outcome == .error) }
        guard !chosen.isEmpty else {
            let cases = runs.map { "  \($0.title): \($0.outcome.rawValue)" }.joined(separator: "\n")
            console.problem("error: " + (pattern.map { "no case of \(path) matches \"\($0)\"" } ?? "no case of \(path) failed") + "; its cases:\n" + cases)
            return .invalidInput
        }
        var reproduced = true
        for result in chosen {
            guard let replay = result.replay else {
                console.problem("\(result.title): no replay inputs recorded; it cannot be carried out again exactly")
                reproduced = false
                continue
            }
            for change in await changes(since: replay, file: result.file) { console.line("\(result.title): \(change)") }
            console.line("replaying \(result.title): \(replay.command)")
            let again = await carryOut(replay, console: console)
            let verdict = again.map { $0.outcome.rawValue } ?? "no result"
            if again?.outcome == result.outcome {
                console.line("reproduced: \(result.title) \(verdict) again")
            } else {
                console.line("NOT reproduced: \(result.title) was \(result.outcome.rawValue), now \(verdict)")
                reproduced = false
            }
        }
        return reproduced ? .passed : .failed
    }

    /// The runs of a `--json` document or of a kept run's `result.json`.
    static func results(in path: String) throws -> [ScenarioResult] {
        let error: ResultsFileError
        do { return try ResultsDocument.read(path).runs } catch let notDocument { error = notDocument }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard error.isNotResults else { throw error }
        guard let data = FileManager.default.contents(atPath: path), let single = try? decoder.decode(ScenarioResult.self, from: data) else {
            throw ReplayError("\(path) is not natsfault results: give the file of run --json, or a kept run's result.json")
        }
        return [single]
    }

    /// What changed since the run was recorded: its scenario file or its server binary.
    static func changes(since replay: Replay, file: String) async -> [String] {
        var changes: [String] = []
        let scenario = await Plan.sha256(file)
        if scenario != replay.scenarioChecksum {
            changes.append(scenario == nil ? "the scenario file \(file) is gone" : "the scenario file \(file) changed since the run (SHA-256 \(replay.scenarioChecksum.prefix(12))… → \(scenario!.prefix(12))…)")
        }
        let server = await Plan.sha256(replay.serverPath)
        if server != replay.serverChecksum {
            changes.append(server == nil ? "the server binary \(replay.serverPath) is gone" : "the server binary \(replay.serverPath) changed since the run")
        }
        return changes
    }

    /// Runs a recorded replay command with this natsfault, its output shown as it comes; returns the run's result.
    static func carryOut(_ replay: Replay, console: Console) async -> ScenarioResult? {
        var words = shellWords(replay.command)
        guard words.first == "natsfault" else { return nil }
        words.removeFirst()
        let json = NSTemporaryDirectory() + "natsfault-replay-\(getpid())-\(UInt32.random(in: 0 ... .max)).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        @Sendable func text(_ lines: ArraySlice<UInt8>) -> String { String(decoding: lines.dropLast(), as: UTF8.self) }
        guard let process = try? await ChildProcess.start(ToolPaths.executable, arguments: words + ["--json", json],
                                                          output: .lines { console.line(text($0)) }, error: .lines { console.problem(text($0)) }) else { return nil }
        await process.exit()
        return (try? results(in: json))?.first
    }

    /// The words of a command line as `Plan.shellWord` quotes them.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quoted = false
        var escaped = false
        for c in line {
            if escaped {
                // `\'` between quoted parts: a quote of the word itself.
                word.append(c)
                escaped = false
            } else if quoted {
                if c == "'" { quoted = false } else { word.append(c) }
            } else if c == "'" {
                quoted = true
                inWord = true
            } else if c == "\\" {
                escaped = true
                inWord = true
            } else if c == " " {
                if inWord { words.append(word) }
                (word, inWord) = ("", false)
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}

/// Why a replay cannot start.
struct ReplayError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

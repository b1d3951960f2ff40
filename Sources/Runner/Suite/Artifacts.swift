import Foundation
import NATSFaultProcess
import NATSFaultReporting
import NATSFaultTimeline

/// Which finished runs leave their folder behind (`--keep`).
public enum KeepPolicy: String, CaseIterable, Sendable {
    /// Runs that failed or could not be carried out.
    case failed
    case all
    case none

    func keeps(_ outcome: ScenarioResult.Outcome) -> Bool {
        switch self {
        case .all: outcome != .skipped
        case .failed: outcome == .failed || outcome == .error
        case .none: false
        }
    }
}

/// The folders a suite keeps of its runs: `<results>/runs/<scenario>/<client>-<server>[-<attempt>]/`, each with
/// everything a person needs to see why it failed.
///
/// A kept folder holds the run's work folder as the sandboxed runner left it — each server's generated config
/// (`<server>.conf`) and full log (`<server>.log`), each driver's full stderr (`<client>.driver.log`) and its
/// transcript (`<client>.transcript.jsonl`: every line it wrote, every command it was sent with its time), each
/// application's output (`<client>.app.log`), the runner's own log (`runner.log`) — plus the scenario file as run
/// (`scenario.yaml`), the record of the proxy and the firewall (`faults.jsonl`: faults applied and healed, PINGs and
/// PONGs dropped, `-ERR`s seen, with their times) and the result (`result.json`).
struct Artifacts: Sendable {
    /// `<results>/runs`, absolute.
    let folder: String
    let policy: KeepPolicy

    init(results: String, policy: KeepPolicy) {
        folder = URL(fileURLWithPath: results, isDirectory: true).appendingPathComponent("runs").standardizedFileURL.path
        self.policy = policy
    }

    /// Checks, before anything runs, that kept runs can be written; throws `RunError.invalidOption` naming the option
    /// and the reason (`--results /proc/r: the folder /proc/r does not exist`).
    func checkWritable(option results: String) throws(RunError) {
        guard policy != .none else { return }
        do { try WritableFolder.check(folder) } catch { throw .invalidOption("--results \(results): \(error)") }
    }

    /// The folder a run is kept in.
    func path(scenario: String, client: String, server: String, attempt: Int?) -> String {
        "\(folder)/\(Self.sanitised(scenario))/\(Self.sanitised(client))-\(Self.sanitised(server))" + (attempt.map { "-\($0)" } ?? "")
    }

    /// Keeps a finished run's work folder (moving it, then adding the scenario, the fault record and the result) when
    /// the policy asks for it, and removes it otherwise; the result then names where it is.
    func settle(_ result: inout ScenarioResult, work: String) {
        defer { try? FileManager.default.removeItem(atPath: work) }
        guard policy.keeps(result.outcome) else { return }
        let kept = path(scenario: result.scenario, client: result.client, server: result.serverVersion, attempt: result.attempt)
        let files = FileManager.default
        try? files.removeItem(atPath: kept)
        do {
            try files.createDirectory(atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Another file system (TMPDIR on tmpfs, results on disk) makes a move a copy.
            do { try files.moveItem(atPath: work, toPath: kept) } catch { try files.copyItem(atPath: work, toPath: kept) }
        } catch {
            try? files.createDirectory(atPath: kept, withIntermediateDirectories: true)
        }
        if files.fileExists(atPath: result.file) { try? files.copyItem(atPath: result.file, toPath: "\(kept)/scenario.yaml") }
        result.artifacts = kept
        let record: Set<EventName> = [.fault, .heal, .pingDropped, .pongDropped, .serverErr]
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let lines = result.events.filter { record.contains($0.event) }.compactMap { try? encoder.encode($0) }
        try? lines.reduce(Data()) { $0 + $1 + Data("\n".utf8) }.write(to: URL(fileURLWithPath: "\(kept)/faults.jsonl"))
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try? encoder.encode(result).write(to: URL(fileURLWithPath: "\(kept)/result.json"))
    }

    /// A name as a folder name: letters, digits, `.`, `-` and `_` kept, anything else `_`.
    static func sanitised(_ name: String) -> String {
        let kept = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return kept.isEmpty || kept.allSatisfy({ $0 == "." }) ? "_" : kept
    }
}

/// The folders natsfault makes under TMPDIR: `natsfault-<pid>-<random>`, one per suite, each run working in its own
/// subfolder; removed when the suite ends, and swept by a later suite when the natsfault that made it is gone (killed).
enum TemporaryFolders {
    static let prefix = "natsfault-"

    /// A new suite's folder, named for this process.
    static func make() -> String {
        NSTemporaryDirectory() + "\(prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes the folders of suites whose natsfault process is gone; returns how many.
    @discardableResult
    static func sweep() -> Int {
        let temporary = NSTemporaryDirectory()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        var swept = 0
        for name in names where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-")
            // Only `natsfault-<pid>-<random>`: other natsfault-… folders (a test's, a failed conformance check's) are not a suite's.
            guard parts.count == 2, let pid = pid_t(parts[0]), UInt32(parts[1]) != nil, pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            if (try? FileManager.default.removeItem(atPath: temporary + name)) != nil { swept += 1 }
        }
        return swept
    }
}

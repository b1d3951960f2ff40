import Foundation
import NATSFaultReporting
import NATSFaultTimeline

/// `natsfault merge RESULTS...`: the `--json` results of several runs — usually the shards of one — as the reports,
/// the summary and the exit status one run of them all would have given.
public enum Merger {
    /// Reads every results file of `paths` (files, or folders searched for them), checks that they belong together,
    /// and hands the merged runs to `reporters`: the ones that print in their order, then the file reports side by side.
    ///
    /// - Returns: 0 when every run passed, 1 when one failed or errored, 2 when the files cannot be merged (no
    ///   results, a file that is not natsfault results, a run in two files, different natsfault versions or scenario
    ///   files, a shard missing).
    public static func run(_ paths: [String], reporters: [any Reporter], console: Console) async -> ExitStatus {
        do {
            for reporter in reporters {
                do { try reporter.checkBeforeRun() } catch { throw MergeError.report(error) }
            }
            let files = try await find(paths)
            let results = try merge(files)
            for file in files {
                let shard = file.document.shard.map { "shard \($0.index)/\($0.count), " } ?? ""
                console.line("\(file.path): \(shard)\(file.document.runs.count) run\(file.document.runs.count == 1 ? "" : "s")" + (file.document.wallSeconds.map { String(format: " in %.1fs", $0) } ?? ""))
            }
            // The shards ran side by side: the merged suite took as long as the longest.
            let history = SuiteHistory(results: results, wallSeconds: files.compactMap(\.document.wallSeconds).max() ?? 0)
            for reporter in reporters where !(reporter is any FileReporter) { try reporter.suiteFinished(history) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for reporter in reporters where reporter is any FileReporter { group.addTask { try reporter.suiteFinished(history) } }
                try await group.waitForAll()
            }
            return ExitStatus(results)
        } catch let error as MergeError {
            console.problem("error: \(error)")
            return .invalidInput
        } catch {
            console.problem("error: \(error)")
            return .failed
        }
    }

    /// A results file and its path.
    struct File {
        var path: String
        var document: ResultsDocument
    }

    /// The results files of `paths`, read side by side: each file named, and in each folder (searched through) every
    /// `.json` file that is natsfault results, in name order; a file named twice is read once.
    static func find(_ paths: [String]) async throws(MergeError) -> [File] {
        guard !paths.isEmpty else { throw .noInput(nil) }
        // Every candidate file, with the folder it was found in (nil: named).
        var candidates: [(path: String, folder: String?)] = []
        var seen: Set<String> = []
        for path in paths {
            var isFolder: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            let files = folder ? (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }.sorted().map { "\(base)/\($0)" } : [path]
            if folder, files.isEmpty { throw .noInput(path) }
            for file in files where seen.insert(URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path).inserted {
                candidates.append((file, folder ? path : nil))
            }
        }
        let read = await withTaskGroup(of: (Int, Result<ResultsDocument, ResultsFileError>).self) { group in
            for (index, candidate) in candidates.enumerated() {
                group.addTask { (index, Result { () throws(ResultsFileError) in try ResultsDocument.read(candidate.path) }) }
            }
            var read = [Result<ResultsDocument, ResultsFileError>?](repeating: nil, count: candidates.count)
            for await (index, result) in group { read[index] = result }
            return read.map { $0! }
        }
        var files: [File] = []
        var foldersWithResults: Set<String> = []
        for (candidate, result) in zip(candidates, read) {
            switch result {
            case .success(let document):
                files.append(File(path: candidate.path, document: document))
                if let folder = candidate.folder { foldersWithResults.insert(folder) }
            // In a folder, a kept run's result.json and other JSON beside the results.
            case .failure(let error) where candidate.folder != nil && error.isNotResults: continue
            case .failure(let error): throw .file(error)
            }
        }
        if let empty = paths.first(where: { path in candidates.contains { $0.folder == path } && !foldersWithResults.contains(path) }) { throw .noInput(empty) }
        return files
    }

    /// The runs of every file, in planned order when they are the shards of one plan, else file after file.
    ///
    /// - Throws: `MergeError` when a run is in two files, the files come from different natsfault versions or ran
    ///   different files of one scenario, or the shards of a plan are not all there.
    static func merge(_ files: [File]) throws(MergeError) -> [ScenarioResult] {
        let versions = Dictionary(grouping: files) { $0.document.natsfaultVersion ?? "unrecorded" }
        guard versions.count == 1 else {
            throw .versions(files.map { ($0.path, $0.document.natsfaultVersion ?? "unrecorded") })
        }
        var holder: [String: String] = [:]
        var checksums: [String: (checksum: String, path: String)] = [:]
        for file in files {
            for run in file.document.runs {
                let cell = run.title + (run.attempt.map { " #\($0)" } ?? "")
                if let other = holder[cell], other != file.path { throw .duplicate(cell: cell, first: other, second: file.path) }
                holder[cell] = file.path
                guard let checksum = run.replay?.scenarioChecksum, checksum != "?" else { continue }
                if let known = checksums[run.scenario], known.checksum != checksum {
                    throw .scenarioChanged(scenario: run.scenario, first: (known.path, known.checksum), second: (file.path, checksum))
                }
                checksums[run.scenario] = (checksum, file.path)
            }
        }
        let plans = Dictionary(grouping: files.filter { $0.document.shard != nil }) { $0.document.shard!.plan }
        for (_, shards) in plans.sorted(by: { $0.key < $1.key }) {
            let first = shards[0].document.shard!
            let indexes = Set(shards.map { $0.document.shard!.index })
            let missing = (1...first.count).filter { !indexes.contains($0) }
            guard shards.allSatisfy({ $0.document.shard!.count == first.count }), missing.isEmpty else {
                throw .shardsMissing(plan: first.planRuns, given: shards.map { ($0.path, $0.document.shard!) }, missing: missing)
            }
            let runs = Set(shards.flatMap { $0.document.runs.compactMap(\.position) }).count
            guard runs == first.planRuns else { throw .runsMissing(plan: first.planRuns, found: runs, files: shards.map(\.path)) }
        }
        let results = files.flatMap(\.document.runs)
        guard plans.count == 1, files.allSatisfy({ $0.document.shard != nil }) else { return results }
        // Stable: the attempts of a cell run until it fails stay in their order.
        return results.enumerated().sorted { ($0.element.position ?? 0, $0.offset) < ($1.element.position ?? 0, $1.offset) }.map(\.element)
    }
}

/// Why results cannot be merged; every case names the files.
public enum MergeError: Error, Sendable, CustomStringConvertible {
    /// No results given, or a folder that holds none.
    case noInput(String?)
    case file(ResultsFileError)
    /// One run (scenario × client × server × attempt) in two files.
    case duplicate(cell: String, first: String, second: String)
    /// Files written by different natsfault versions: each file and its version.
    case versions([(String, String)])
    /// One scenario run from two different files (by SHA-256): the paths and checksums.
    case scenarioChanged(scenario: String, first: (String, String), second: (String, String))
    /// Shards of one plan not all given (or given for different shard counts).
    case shardsMissing(plan: Int, given: [(String, ResultsDocument.Shard)], missing: [Int])
    /// The shards of one plan do not hold every run of it: they were planned differently.
    case runsMissing(plan: Int, found: Int, files: [String])
    /// A report that cannot be written where it was asked for.
    case report(ReportError)

    public var description: String {
        switch self {
        case .noInput(nil):
            "no results to merge: give the --json files of the runs (natsfault merge results/shard-*/run.json), or folders holding them"
        case .noInput(let folder?):
            "\(folder) holds no natsfault results (.json files written by run --json)"
        case .file(let error):
            "\(error)"
        case .duplicate(let cell, let first, let second):
            "\(cell) is in both \(first) and \(second): give each run's results once (the shards of one run are disjoint)"
        case .versions(let files):
            "the results come from different natsfault versions (" + files.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
                + "); merge results of one version"
        case .scenarioChanged(let scenario, let first, let second):
            "scenario \(scenario) was run from different files: \(first.0) ran one with SHA-256 \(first.1.prefix(12))…, \(second.0) one with \(second.1.prefix(12))…;"
                + " merge the shards of one checkout"
        case .shardsMissing(let plan, let given, let missing):
            "the shards of one plan (\(plan) runs) are incomplete: given " + given.map { "\($0.1.index)/\($0.1.count) (\($0.0))" }.joined(separator: ", ")
                + (missing.isEmpty ? "" : "; missing " + missing.map { "\($0)/\(given[0].1.count)" }.joined(separator: ", "))
        case .runsMissing(let plan, let found, let files):
            "the shards \(files.joined(separator: ", ")) hold \(found) of their plan's \(plan) runs: they were not planned alike"
                + " (the same scenarios, clients, servers and --durations file on every shard)"
        case .report(let error):
            "\(error)"
        }
    }
}

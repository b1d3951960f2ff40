public import NATSFaultTimeline
public import ArgumentParser
import Foundation
import NATSFaultProcess

/// Everything a suite recorded: each run's result, in planned order, and the suite's wall time.
public struct SuiteHistory: Sendable {
    public var results: [ScenarioResult]
    /// From the first run's start to the last run's end, in seconds.
    public var wallSeconds: Double
    /// With `--shard`: which part of the plan these results are.
    public var shard: ResultsDocument.Shard?

    public init(results: [ScenarioResult], wallSeconds: Double, shard: ResultsDocument.Shard? = nil) {
        self.results = results
        self.wallSeconds = wallSeconds
        self.shard = shard
    }
}

/// One output of a suite (console, JUnit, JSON, Markdown matrix): it reads the recorded history and writes its report.
///
/// The suite calls `suiteStarted` once it knows its runs, `runStarted` and `runFinished` as each run starts and ends,
/// in the order they do, then `suiteFinished` once with the whole history. Reporters are called in the order the suite
/// was given them; one that throws stops the ones after it, and the suite reports the error with exit status 1.
public protocol Reporter: Sendable {
    /// Before anything runs: throws, in plain words naming the option, when the report could not be written later.
    func checkBeforeRun() throws(ReportError)
    /// The suite is about to start; `runs` is how many it has planned (with `--until-fail`, the most it may run).
    func suiteStarted(runs: Int)
    /// A run is starting (a skipped one never starts); `title` is its `ScenarioResult.title`.
    func runStarted(_ title: String)
    /// One run has ended; the default does nothing, as file reports need the whole history.
    func runFinished(_ result: ScenarioResult)
    /// Every run has ended: write the report.
    func suiteFinished(_ history: SuiteHistory) throws
}

extension Reporter {
    public func checkBeforeRun() throws(ReportError) {}
    public func suiteStarted(runs: Int) {}
    public func runStarted(_ title: String) {}
    public func runFinished(_ result: ScenarioResult) {}
}

/// A report that cannot be written where it was asked for: the option, the path and why
/// (`--junit /proc/foo/j.xml: the folder /proc/foo does not exist`).
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public var option: String
    public var path: String
    public var reason: String

    public var description: String { "--\(option) \(path): \(reason)" }
}

/// A reporter that writes one file once the suite is done, creating its folder if need be; its command-line
/// option (`--NAME FILE`) is `FileReportOption<Self>`.
public protocol FileReporter: Reporter {
    /// The long option that names the file, without dashes (`junit` for `--junit FILE`).
    static var option: String { get }
    /// The option's help: what the file holds.
    static var help: String { get }
    /// Where the report goes.
    var path: String { get }
    init(path: String)
    /// The file's contents for `history`.
    func render(_ history: SuiteHistory) throws -> Data
}

extension FileReporter {
    /// Creates the report's folder and tries a file beside where the report goes, so that a path that cannot be
    /// written fails before the suite runs, not after.
    public func checkBeforeRun() throws(ReportError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ReportError(option: Self.option, path: path, reason: "it is a folder; give a file name")
        }
        let parent = (path as NSString).deletingLastPathComponent
        do { try WritableFolder.check(parent.isEmpty ? "." : parent) } catch {
            throw ReportError(option: Self.option, path: path, reason: error.description)
        }
    }

    /// Writes the report.
    ///
    /// - Throws: `ReportError` naming the option, the path and, in plain words, why it could not be written.
    public func suiteFinished(_ history: SuiteHistory) throws {
        let parent = (path as NSString).deletingLastPathComponent
        do {
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try render(history).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ReportError(option: Self.option, path: path, reason: FileProblem.describe(error))
        }
    }
}

/// The `--NAME FILE` option of a file report, for `ReportOptions` to gather.
public struct FileReportOption<Format: FileReporter>: ParsableArguments {
    @Option(name: .customLong(Format.option), help: ArgumentHelp(Format.help, valueName: Format.option))
    var path: String?

    public init() {}

    /// The reporter, when the option was given.
    public var reporter: Format? { path.map(Format.init(path:)) }
}

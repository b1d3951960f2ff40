public import NATSFaultTimeline
public import ArgumentParser
import Foundation

/// Everything a suite recorded: each run's result, in planned order, and the suite's wall time.
public struct SuiteHistory: Sendable {
    public var results: [ScenarioResult]
    /// From the first run's start to the last run's end, in seconds.
    public var wallSeconds: Double

    public init(results: [ScenarioResult], wallSeconds: Double) {
        self.results = results
        self.wallSeconds = wallSeconds
    }
}

/// One output of a suite (console, JUnit, JSON, Markdown matrix): it reads the recorded history and writes its report.
///
/// The suite calls `runFinished` as each run ends, in the order they end, then `suiteFinished` once with the whole
/// history. Reporters are called in the order the suite was given them; one that throws stops the ones after it,
/// and the suite reports the error with exit status 1.
public protocol Reporter: Sendable {
    /// One run has ended; the default does nothing, as file reports need the whole history.
    func runFinished(_ result: ScenarioResult)
    /// Every run has ended: write the report.
    func suiteFinished(_ history: SuiteHistory) throws
}

extension Reporter {
    public func runFinished(_ result: ScenarioResult) {}
}

/// A reporter that writes one file once the suite is done, creating its folder if need be.
public protocol FileReporter: Reporter {
    /// Where the report goes.
    var path: String { get }
    /// The file's contents for `history`.
    func render(_ history: SuiteHistory) throws -> Data
}

extension FileReporter {
    public func suiteFinished(_ history: SuiteHistory) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        try render(history).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A report format's own command-line option, declared in the format's file and gathered by `ReportOptions`.
public protocol ReporterOption: ParsableArguments {
    /// The reporter the option asks for; nil when the option is not given.
    var reporter: (any Reporter)? { get }
}

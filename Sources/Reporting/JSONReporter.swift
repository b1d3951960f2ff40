public import NATSFaultTimeline
import ArgumentParser
public import Foundation

/// The `--json FILE` document: every run with every fault and event, timestamps on the monotonic clock.
public struct JSONReporter: FileReporter {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `--json FILE`.
    public struct Options: ReporterOption {
        @Option(help: "Write every event and fault with timestamps here, as JSON.")
        var json: String?

        public init() {}

        public var reporter: (any Reporter)? { json.map(JSONReporter.init(path:)) }
    }

    struct Document: Encodable {
        var format = "natsfault-results"
        var version = 1
        var runs: [ScenarioResult]
    }

    public func render(_ history: SuiteHistory) throws -> Data {
        try Self.data(history.results)
    }

    public static func data(_ results: [ScenarioResult]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Document(runs: results))
    }
}

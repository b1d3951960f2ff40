public import NATSFaultTimeline
public import Foundation

/// The `--json FILE` document: every run with every fault and event, timestamps on the monotonic clock.
public struct JSONReporter: FileReporter {
    public static let option = "json"
    public static let help = "Write every event and fault with timestamps here, as JSON."
    public let path: String

    public init(path: String) {
        self.path = path
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

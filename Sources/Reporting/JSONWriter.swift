public import NATSFaultTimeline
import Foundation

/// The `--json` document: every run with every fault and event, timestamps on the monotonic clock.
public enum JSONWriter {
    struct Document: Encodable {
        var format = "natsfault-results"
        var version = 1
        var runs: [ScenarioResult]
    }

    public static func data(_ results: [ScenarioResult]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Document(runs: results))
    }
}

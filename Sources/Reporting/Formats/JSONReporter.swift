public import Foundation

/// The `--json FILE` document: every run with every fault and event, timestamps on the monotonic clock.
public struct JSONReporter: FileReporter {
    public static let option = "json"
    public static let help = "Write every event and fault with timestamps here, as JSON."
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func render(_ history: SuiteHistory) throws -> Data {
        try ResultsDocument(history).data()
    }
}

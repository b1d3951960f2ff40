/// A place in a scenario file, for error messages: `file:line:column`.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Why a scenario file cannot be used.
///
/// Every case names the place in the file and, in `message`, what is wrong and what is allowed,
/// so the report reads `file:line:column: what is wrong; what is allowed`.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the offending value starts.
    public var location: SourceLocation
    /// What is wrong and what is allowed, separated by `; `.
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

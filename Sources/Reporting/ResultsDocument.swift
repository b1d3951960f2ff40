import NATSFaultProcess
public import Foundation
public import NATSFaultTimeline

/// The results file of `run --json`: every run of a suite, or of one shard of it, with the natsfault that wrote it.
public struct ResultsDocument: Codable, Sendable {
    /// Which part of a suite's plan a shard's results hold (`--shard K/N`), so that a merge can tell the shards of one
    /// plan and see one missing.
    public struct Shard: Codable, Sendable, Hashable {
        /// From 1.
        public var index: Int
        public var count: Int
        /// A digest of every run of the whole plan: the shards of one plan share it.
        public var plan: String
        /// How many runs the whole plan has, over every shard.
        public var planRuns: Int

        public init(index: Int, count: Int, plan: String, planRuns: Int) {
            (self.index, self.count, self.plan, self.planRuns) = (index, count, plan, planRuns)
        }
    }

    public static let format = "natsfault-results"

    public var format = Self.format
    /// The version of this document's layout.
    public var version = 1
    /// The natsfault that wrote it (absent from files of natsfault before it recorded its version).
    public var natsfaultVersion: String?
    /// The suite's wall time, in seconds.
    public var wallSeconds: Double?
    public var shard: Shard?
    public var runs: [ScenarioResult]

    public init(_ history: SuiteHistory) {
        natsfaultVersion = NATSFaultVersion.current
        wallSeconds = history.wallSeconds
        shard = history.shard
        runs = history.results
    }

    /// The document as JSON: snake_case keys, sorted.
    public func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a results file.
    ///
    /// - Throws: `ResultsFileError` naming the file: it cannot be read, is not natsfault results, or is damaged.
    public static func read(_ path: String) throws(ResultsFileError) -> ResultsDocument {
        let data: Data
        do { data = Data(try FileProblem.readText(path).utf8) } catch { throw ResultsFileError(path: path, problem: .unreadable(error.description)) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let document = try decoder.decode(ResultsDocument.self, from: data)
            guard document.format == Self.format else { throw ResultsFileError(path: path, problem: .notResults) }
            return document
        } catch let error as ResultsFileError {
            throw error
        } catch {
            // Only a file that says it is natsfault results is damaged; any other is something else.
            struct Header: Decodable { var format: String? }
            let header = try? decoder.decode(Header.self, from: data)
            throw ResultsFileError(path: path, problem: header?.format == Self.format ? .damaged("\(error)") : .notResults)
        }
    }
}

/// A file that cannot be used as natsfault results: which file, and why.
public struct ResultsFileError: Error, Sendable, CustomStringConvertible {
    public enum Problem: Sendable {
        /// It cannot be read: why, in plain words (`FileProblem`).
        case unreadable(String)
        /// Not a document of `run --json`.
        case notResults
        /// It says it is natsfault results, but does not decode as them: what the decoder said.
        case damaged(String)
    }

    public var path: String
    public var problem: Problem

    /// Whether the file is something other than natsfault results (rather than unreadable or damaged).
    public var isNotResults: Bool {
        if case .notResults = problem { return true }
        return false
    }

    public var description: String {
        switch problem {
        case .unreadable(let why): why
        case .notResults: "\(path) is not natsfault results: give the file of run --json"
        case .damaged(let why): "\(path) says it is natsfault results but cannot be read as them: \(why)"
        }
    }
}

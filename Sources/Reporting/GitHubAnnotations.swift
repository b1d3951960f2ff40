import Foundation
public import NATSFaultTimeline

/// `--annotations github`: a GitHub Actions error annotation (`::error file=…,line=…,col=…::…`) for each failed check,
/// at the step or assertion of the scenario file that failed, so that a pull request shows it on that line. The runs
/// failing one check alike (other clients, other servers) share one annotation; a run that failed without a failing
/// check (it could not be carried out) is annotated on its file.
public struct GitHubAnnotations: Reporter {
    let print: @Sendable (String) -> Void

    public init(print: @escaping @Sendable (String) -> Void) {
        self.print = print
    }

    public func suiteFinished(_ history: SuiteHistory) {
        for line in Self.lines(history.results) { print(line) }
    }

    /// One workflow command per failing place, in the order of the runs.
    public static func lines(_ results: [ScenarioResult], directory: String = FileManager.default.currentDirectoryPath) -> [String] {
        struct Place: Hashable {
            var file: String
            var line: Int?
            var column: Int?
            var scenario: String
            var expected: String
        }
        var order: [Place] = []
        var runs: [Place: [String]] = [:]
        func add(_ place: Place, _ text: String) {
            if runs[place] == nil { order.append(place) }
            if !runs[place, default: []].contains(text) { runs[place, default: []].append(text) }
        }
        for result in results where result.isFailure {
            let run = "\(result.client) × nats-server \(result.serverVersion)"
            let failing = result.checks.filter(\.fails)
            for check in failing {
                let file = check.source?.file ?? result.file
                add(Place(file: file, line: check.source?.line, column: check.source?.column, scenario: result.scenario, expected: "expected \(check.expected)"),
                    "\(run): observed \(check.observed)")
            }
            if failing.isEmpty {
                add(Place(file: result.file, scenario: result.scenario, expected: result.outcome == .error ? "could not be carried out" : "failed"),
                    "\(run): \(Matrix.reason(result) ?? result.outcome.rawValue)")
            }
        }
        return order.map { place in
            let properties = [("file", relative(place.file, to: directory)), ("line", place.line.map(String.init)), ("col", place.column.map(String.init)),
                              ("title", "natsfault: \(place.scenario)")]
            return "::error " + properties.compactMap { key, value in value.map { "\(key)=\(escape($0, property: true))" } }.joined(separator: ",")
                + "::" + escape(([place.expected] + runs[place]!).joined(separator: "\n"), property: false)
        }
    }

    /// A path under `directory` relative to it, as GitHub matches annotations to the repository's files.
    static func relative(_ path: String, to directory: String) -> String {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// A workflow command's message (or, with `property`, a property value) with its special characters encoded.
    static func escape(_ text: String, property: Bool) -> String {
        var out = text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        if property { out = out.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C") }
        return out
    }
}

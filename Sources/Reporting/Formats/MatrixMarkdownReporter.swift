public import Foundation

/// The scenario × client × server matrix as Markdown (`--matrix-md FILE`), with a reason for every run that did not pass.
public struct MatrixMarkdownReporter: FileReporter {
    public static let option = "matrix-md"
    public static let help = "Write the scenario × client × server matrix here, as Markdown, with a reason for each failure and skip."
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func render(_ history: SuiteHistory) -> Data {
        Data(Matrix(history.results).markdown().utf8)
    }
}

extension Matrix {
    /// The matrix as a Markdown table, then one line per failure, error and skip.
    public func markdown() -> String {
        let notes = self.notes
        var lines = ["| scenario | " + columns.map { "\($0.client) × \($0.server)" }.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---|", count: columns.count)]
        for s in scenarios {
            lines.append("| \(s) | " + columns.map { cell(s, $0, notes) }.joined(separator: " | ") + " |")
        }
        if !notes.isEmpty {
            lines.append("")
            for n in notes { lines.append("\(n.number). **\(n.scenario)**, \(n.client) × nats-server \(n.server), \(n.word): \(escape(n.reason))") }
        }
        let spreads = self.spreads
        if !spreads.isEmpty {
            lines += ["", "Times to what each expectation waited for, over the attempts:", ""] + spreads.map { "- " + escape($0) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}

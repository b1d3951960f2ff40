import NATSFaultScenario

/// The catalogue of faults for people: `natsfault list --faults`, and docs/faults.md, which is its Markdown.
public enum FaultTable {
    /// One line per fault: where it is written, its keys, what it does.
    public static func console() -> String {
        rows().map { "\($0.written.padding(toLength: 34, withPad: " ", startingAt: 0)) \($0.summary)\n    keys: \($0.keys)" }.joined(separator: "\n")
    }

    /// docs/faults.md (without its final newline).
    public static func markdown() -> String {
        var lines = [
            "# Faults",
            "",
            "Every fault natsfault injects, as `natsfault list --faults` prints it: one file each under",
            "`Sources/Scenario/Faults/<Target>/`, which the catalogue is generated from. What each does in detail:",
            "[scenario format, section 7](scenario-format.md#7-timeline).",
            "",
            "| Target | Written as | Keys | Lasts | What it does |",
            "|---|---|---|---|---|",
        ]
        for row in rows() {
            lines.append("| \(row.target) | `\(row.written)` | \(row.keys) | \(row.lasts) | \(row.summary) |")
        }
        return lines.joined(separator: "\n")
    }

    private struct Row {
        var target: String
        var written: String
        var keys: String
        var lasts: String
        var summary: String
    }

    private static func rows() -> [Row] {
        FaultTarget.allCases.flatMap { target in
            FaultCatalog.faults(of: target).map { fault in
                let written = target == .link ? "proxy: {fault: \(fault.name)}" : "\(fault.name):"
                let keys = (target == .link ? ["client", "server", "for"] : []) + fault.parameters.map(\.name)
                return Row(target: target.rawValue, written: written, keys: keys.isEmpty ? "the \(target.rawValue)'s name" : keys.joined(separator: ", "),
                           lasts: fault.healable ? "until healed" : "once", summary: fault.summary)
            }
        }
    }
}

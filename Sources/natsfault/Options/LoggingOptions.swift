import ArgumentParser
import Logging

/// `--log-level`: how much natsfault logs on stderr as it works.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log on stderr what natsfault does: info (steps), debug (processes, driver commands), trace (every driver line).")
    var logLevel: String = "warning"

    /// The level asked for; `validate()` has refused any other text.
    var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? .warning }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level \"\(logLevel)\"; allowed: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }
}

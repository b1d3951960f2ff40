public import NATSFaultProcess
import NATSFaultScenario
import NATSFaultTimeline

/// The process exit codes natsfault promises.
public enum ExitStatus: Int32, Sendable {
    /// Every run passed (or was skipped with a reason).
    case passed = 0
    /// At least one scenario failed or errored.
    case failed = 1
    /// A scenario file or the arguments are invalid.
    case invalidInput = 2
    /// This machine cannot run it: a server binary or driver is missing.
    case environment = 3
    /// Stopped by SIGINT; the runs that had finished are reported, the others as not run.
    case interrupted = 130
    /// Stopped by SIGTERM (a CI job cancelled or timed out), reported as for SIGINT.
    case terminated = 143
}

extension ExitStatus {
    /// The status of a suite that ran to its end: 1 when a run failed or errored, else 0.
    public init(_ results: [ScenarioResult]) {
        self = results.contains(where: \.isFailure) ? .failed : .passed
    }
}

/// Why a whole run could not start; each maps to an exit status and says what to do.
public enum RunError: Error, Sendable, CustomStringConvertible {
    /// Scenario files with problems, each `file:line:column: …`.
    case invalidScenarios([ScenarioError])
    /// A path given on the command line that is neither a scenario file nor a folder.
    case invalidPath(String)
    /// A file or folder given, or inside a folder given, that cannot be read.
    case unreadable(FileProblem)
    /// Nothing to run: no scenario file in the paths, or none left after `--filter`; what was empty.
    case nothingToRun(String)
    /// An option whose value cannot be used (a folder that cannot be written): the option and why.
    case invalidOption(String)
    /// A server binary or driver is missing: what to do about it, and the error that said so, when one did.
    case environment(String, cause: (any Error & Sendable)? = nil)

    public var exitStatus: ExitStatus {
        switch self {
        case .invalidScenarios, .invalidPath, .unreadable, .nothingToRun, .invalidOption: .invalidInput
        case .environment: .environment
        }
    }

    public var description: String {
        switch self {
        case .invalidScenarios(let errors): errors.map(\.description).joined(separator: "\n")
        case .invalidPath(let p): "\(p): no such scenario file or folder; give .yaml files or folders holding them"
        case .unreadable(let problem): problem.description
        case .nothingToRun(let why): why
        case .invalidOption(let why): why
        case .environment(let why, _): why
        }
    }

    /// A missing server or driver, reported in the words of the error that found it (kept as the cause).
    ///
    /// - Parameter context: what it was needed for (a scenario file), put before those words.
    static func missing(_ error: any Error & Sendable, for context: String? = nil) -> RunError {
        .environment(context.map { "\($0): \(error)" } ?? "\(error)", cause: error)
    }
}

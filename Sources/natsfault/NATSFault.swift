import ArgumentParser
import Foundation
import NATSFaultReporting
import NATSFaultRunner

/// The natsfault command line: parses arguments and maps results to exit codes, nothing else.
@main
struct NATSFault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "natsfault",
        abstract: "Run fault-injection scenarios against real nats-server processes and real NATS clients.",
        discussion: """
        Exit codes: 0 all passed, 1 a scenario failed, 2 invalid input, 3 the environment cannot run it, \
        130 or 143 interrupted by SIGINT or SIGTERM. Shell completions: natsfault --generate-completion-script bash|zsh|fish.
        """,
        subcommands: [Run.self, Merge.self, Replay.self, Validate.self, List.self, Schema.self, ConformanceCheckCommand.self, Doctor.self, Servers.self, Proxy.self, SandboxedEntry.self, FirewallBench.self, IngestBenchCommand.self, FaultLagBenchCommand.self, JetStreamCheckBench.self]
    )

    @Flag(help: "Print natsfault's version, the shipped client libraries' versions and the installed nats-servers'.")
    var version = false

    func run() async throws {
        guard version else { throw CleanExit.helpRequest(self) }
        console.line(await Versions.find().text)
    }

    /// Like `main()`, but invalid arguments exit with 2 and every error goes to stderr, as natsfault promises.
    static func main() async {
        // A child that dies while natsfault writes to it (a driver, a sandboxed runner) is reported, not fatal.
        signal(SIGPIPE, SIG_IGN)
        do {
            try refuseUnknownHelpTopic(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                console.problem(fullMessage(for: error))
                Foundation.exit(ExitStatus.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }

    /// `help NAME` for a command that does not exist is an error, not the overview.
    static func refuseUnknownHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help", arguments.count > 1, !arguments[1].hasPrefix("-") else { return }
        let names = configuration.subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
        guard !names.contains(arguments[1]) else { return }
        throw ValidationError("no command \"\(arguments[1])\"; the commands: \(names.joined(separator: ", "))")
    }
}

/// The terminal: lines on standard output, problems on standard error.
let console = Console()

func printLine(_ text: String) {
    console.line(text)
}

func finish(_ status: ExitStatus) throws {
    if status != .passed { throw ExitCode(status.rawValue) }
}

/// What `body` returns; when it throws a `RunError`, the error goes to stderr and natsfault exits with the status it maps to.
func orExit<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RunError {
        console.problem("error: \(error)")
        throw ExitCode(error.exitStatus.rawValue)
    }
}

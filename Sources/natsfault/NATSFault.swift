import ArgumentParser
import Foundation
import NATSFaultRunner

/// The natsfault command line: parses arguments and maps results to exit codes, nothing else.
@main
struct NATSFault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "natsfault",
        abstract: "Run fault-injection scenarios against real nats-server processes and real NATS clients.",
        discussion: "Exit codes: 0 all passed, 1 a scenario failed, 2 invalid input, 3 the environment cannot run it.",
        subcommands: [Run.self, Merge.self, Replay.self, Validate.self, List.self, Schema.self, ConformanceCheckCommand.self, Doctor.self, Proxy.self, SandboxedEntry.self, FirewallBench.self, IngestBenchCommand.self, FaultLagBenchCommand.self]
    )

    /// Like `main()`, but invalid arguments exit with 2, as natsfault promises.
    static func main() async {
        // A child that dies while natsfault writes to it (a driver, a sandboxed runner) is reported, not fatal.
        signal(SIGPIPE, SIG_IGN)
        do {
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
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }
}

func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func finish(_ status: ExitStatus) throws {
    if status != .passed { throw ExitCode(status.rawValue) }
}

/// What `body` returns; when it throws a `RunError`, the error is printed and natsfault exits with the status it maps to.
func orExit<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RunError {
        printLine("\(error)")
        throw ExitCode(error.exitStatus.rawValue)
    }
}

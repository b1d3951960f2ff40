import ArgumentParser
import NATSFaultRunner

/// `_sandboxed`: the entry point of a child natsfault that carries out one job handed over on its
/// standard input (a scenario run or a conformance check); started by natsfault itself, never by users.
struct SandboxedEntry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: SandboxedRun.entryPoint, shouldDisplay: false)

    func run() async throws {
        let code = await SandboxedRun.serve()
        if code != 0 { throw ExitCode(code) }
    }
}

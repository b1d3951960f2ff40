import ArgumentParser
import Logging
import NATSFaultRunner

/// The scenario runner inside a sandbox; started by `run`, not by users.
struct RunOne: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_run-one", shouldDisplay: false)

    @Option var file: String
    @Option var scenario: String
    @Option var client: String
    @Option var serverPath: String
    @Option var serverVersion: String
    @Option var installedServer: [String] = []
    @Option var workDir: String
    @Option var result: String
    @Flag var sandboxed = false
    @Option var logLevel: String = "warning"

    func run() async throws {
        let target = RunTarget(client: client, serverPath: serverPath, serverVersion: serverVersion, installed: installedServer,
                               toolDirectory: ToolPaths.directory, workDirectory: workDir)
        let code = await InnerRun.run(file: file, scenario: scenario, target: target, resultPath: result, sandboxed: sandboxed,
                                      logLevel: Logger.Level(rawValue: logLevel) ?? .warning)
        if code != 0 { throw ExitCode(code) }
    }
}

import ArgumentParser
import NATSFaultRunner

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check scenario files without running anything.")

    @Argument(help: "Scenario files or folders of them.")
    var paths: [String]

    func run() async throws {
        do {
            let scenarios = try ScenarioLoader.load(paths)
            printLine("\(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s") valid")
        } catch {
            printLine("\(error)")
            throw ExitCode(error.exitStatus.rawValue)
        }
    }
}

import ArgumentParser
import NATSFaultRunner

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List scenarios: name, description and the faults each uses.")

    @Argument(help: "Scenario files or folders of them.")
    var paths: [String]

    func run() async throws {
        do {
            for scenario in try ScenarioLoader.load(paths) {
                printLine(scenario.name)
                printLine("    \(scenario.description)")
                printLine("    faults: \(scenario.faultNames.isEmpty ? "none" : scenario.faultNames.joined(separator: ", "))")
            }
        } catch {
            printLine("\(error)")
            throw ExitCode(error.exitStatus.rawValue)
        }
    }
}

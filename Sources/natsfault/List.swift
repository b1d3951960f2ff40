import ArgumentParser
import NATSFaultRunner

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List scenarios: name, description and the faults each uses.")

    @OptionGroup var scenarioPaths: ScenarioPaths

    func run() async throws {
        for scenario in try orExit({ try ScenarioLoader.load(scenarioPaths.paths) }) {
            printLine(scenario.name)
            printLine("    \(scenario.description)")
            printLine("    faults: \(scenario.faultNames.isEmpty ? "none" : scenario.faultNames.joined(separator: ", "))")
        }
    }
}

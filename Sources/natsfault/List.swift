import ArgumentParser
import NATSFaultReporting
import NATSFaultRunner

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List scenarios (name, description and the faults each uses), or with --faults every fault natsfault knows.")

    @Argument(help: "Scenario files or folders of them.")
    var paths: [String] = []

    @Flag(help: "List every fault natsfault can inject: where it is written, its keys, whether it lasts, what it does.")
    var faults = false

    @Flag(help: "With --faults: as the Markdown table of docs/faults.md.")
    var markdown = false

    func validate() throws {
        guard faults || !paths.isEmpty else { throw ValidationError("give scenario files or folders, or --faults") }
        guard faults || !markdown else { throw ValidationError("--markdown goes with --faults") }
    }

    func run() async throws {
        if faults {
            printLine(markdown ? FaultTable.markdown() : FaultTable.console())
            return
        }
        for scenario in try orExit({ try ScenarioLoader.load(paths) }) {
            printLine(scenario.name)
            printLine("    \(scenario.description)")
            printLine("    faults: \(scenario.faultNames.isEmpty ? "none" : scenario.faultNames.joined(separator: ", "))")
        }
    }
}

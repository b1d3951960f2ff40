import ArgumentParser
import NATSFaultRunner

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check scenario files without running anything.")

    @OptionGroup var scenarioPaths: ScenarioPaths

    func run() async throws {
        let scenarios = try orExit { try ScenarioLoader.load(scenarioPaths.paths) }
        printLine("\(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s") valid")
    }
}

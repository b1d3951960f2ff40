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

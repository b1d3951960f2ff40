import ArgumentParser
import NATSFaultScenario

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of scenario files (docs/scenario.schema.json), for editors.",
        discussion: "Written from the parser's own key table. With the YAML language server: put `# yaml-language-server: $schema=PATH` on a file's first line, or map the schema to scenarios/*.yaml in \"yaml.schemas\".")

    func run() throws {
        print(ScenarioSchema.document(), terminator: "")
    }
}

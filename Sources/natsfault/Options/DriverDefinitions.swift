import ArgumentParser
import NATSFaultDrivers

/// How a command spells the option that defines drivers of the user's own.
protocol DriverDefinitionSpelling {
    /// The long option name, without dashes.
    static var name: String { get }
    static var help: String { get }
}

/// Drivers of the user's own, `NAME=COMMAND`, repeatable; checked before the command runs.
///
/// `run` spells it `--driver` and `conformance` `--define`, since there `--driver` names the driver under check.
struct DriverDefinitions<Spelling: DriverDefinitionSpelling>: ParsableArguments {
    @Option(name: .customLong(Spelling.name), help: ArgumentHelp(Spelling.help, valueName: Spelling.name))
    var definitions: [String] = []

    /// The names defined, for `--client NAME` or `--driver NAME`.
    var names: [String] { definitions.compactMap { DriverCatalog.parseDefinition($0)?.name } }

    func validate() throws {
        for definition in definitions where DriverCatalog.parseDefinition(definition) == nil {
            throw ValidationError("--\(Spelling.name) \"\(definition)\": expected NAME=COMMAND, e.g. java=./my-java-driver (NAME: letters, digits, - and _)")
        }
    }

    /// Makes the definitions known to this process (the scenario runners get the commands resolved).
    func apply() {
        if !definitions.isEmpty { DriverCatalog.define(definitions) }
    }
}

/// `run --driver NAME=COMMAND`.
enum DriverOption: DriverDefinitionSpelling {
    static let name = "driver"
    static let help = "A driver of your own, NAME=COMMAND (the command and its arguments, separated by spaces); repeat for several. Use it with --client NAME."
}

/// `conformance --define NAME=COMMAND`.
enum DefineOption: DriverDefinitionSpelling {
    static let name = "define"
    static let help = "A driver of your own, NAME=COMMAND, so that --driver NAME finds it; repeatable."
}

import Foundation
import NATSFaultProcess
import Synchronization

/// How to start a driver: the executable and its arguments.
public struct DriverCommand: Sendable, Hashable, Codable {
    public var name: String
    public var executable: String
    public var arguments: [String]

    public init(name: String, executable: String, arguments: [String]) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
    }
}

/// The drivers natsfault ships, found without configuration.
public enum DriverCatalog {
    /// The default client.
    public static let defaultDriver = "c"

    /// The shipped drivers, with the library each wraps.
    public static let shipped: [(name: String, library: String)] = [("c", "nats.c"), ("go", "nats.go"), ("python", "nats.py")]

    /// What a driver says of itself as it starts (its library and version), read by starting it with nothing on its
    /// standard input, which it answers by exiting; nil when it says no hello within `timeout`.
    public static func hello(of command: DriverCommand, timeout: Duration = .seconds(10)) async -> DriverHello? {
        let output = Mutex<[UInt8]>([])
        guard let process = try? await ChildProcess.start(command.executable, arguments: command.arguments,
                                                          output: .lines { lines in output.withLock { $0 += lines } }) else { return nil }
        if await process.exit(within: timeout) == nil { await process.terminate(grace: .seconds(1)) }
        return DriverLine.split(output.withLock { $0 }[...]).lazy.compactMap { DriverLine.decode($0)?.hello }.first
    }

    /// Where scripts/setup puts the drivers it builds (nats.go) or wraps (nats.py): `.build/drivers` of this checkout,
    /// or `$NATSFAULT_DRIVERS_DIR`.
    public static var builtDriversDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["NATSFAULT_DRIVERS_DIR"], !dir.isEmpty { return dir }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return checkout.appendingPathComponent(".build/drivers").path
    }

    private static let defined = Mutex<[String: DriverCommand]>([:])

    /// Drivers the user named on the command line (`--driver java=./my-java-driver --flag`), by name.
    public static var custom: [String: DriverCommand] { defined.withLock { $0 } }

    /// Makes drivers named on the command line (`NAME=COMMAND` each) known to this process, with relative
    /// executable paths made absolute against `directory`. Runs in sandboxes get the commands resolved here.
    public static func define(_ definitions: [String], relativeTo directory: String = FileManager.default.currentDirectoryPath) {
        let commands = definitions.compactMap(parseDefinition).map { name, words in
            DriverCommand(name: name, executable: absolutePath(words[0], relativeTo: directory), arguments: Array(words.dropFirst()))
        }
        defined.withLock { for command in commands { $0[command.name] = command } }
    }

    /// The drivers a scenario file declares (`drivers:` name → command words), with a relative executable path
    /// taken relative to the file's folder.
    public static func declared(_ drivers: [String: [String]], scenarioFile: String) -> [String: DriverCommand] {
        let folder = URL(fileURLWithPath: scenarioFile).deletingLastPathComponent().path
        var commands: [String: DriverCommand] = [:]
        for (name, words) in drivers {
            guard let first = words.first else { continue }
            commands[name] = DriverCommand(name: name, executable: absolutePath(first, relativeTo: folder), arguments: Array(words.dropFirst()))
        }
        return commands
    }

    /// `path` made absolute against `directory` when it is a relative path (a bare program name is left to PATH).
    static func absolutePath(_ path: String, relativeTo directory: String) -> String {
        guard path.contains("/"), !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }

    /// A bare program name (`python3`) found on PATH; anything with a slash as it is.
    public static func onPath(_ program: String) -> String { ChildProcess.find(program) ?? program }

    /// A driver given as a name (shipped or defined) or as a command (`./my-driver --flag`, words separated by spaces).
    ///
    /// - Throws: `DriverError.notInstalled` when it is neither a known name nor an executable file.
    public static func resolve(_ nameOrCommand: String, toolDirectory: String) throws(DriverError) -> DriverCommand {
        let words = nameOrCommand.split(separator: " ").map(String.init)
        guard let first = words.first else { throw .notInstalled(name: nameOrCommand, hint: "give a driver name or a command") }
        if words.count == 1, !first.contains("/") { return try locate(first, toolDirectory: toolDirectory) }
        let executable = onPath(absolutePath(first, relativeTo: FileManager.default.currentDirectoryPath))
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw .notInstalled(name: nameOrCommand, hint: "\(executable) is not an executable file")
        }
        return DriverCommand(name: URL(fileURLWithPath: executable).lastPathComponent, executable: executable, arguments: Array(words.dropFirst()))
    }

    /// Splits `NAME=COMMAND [ARGUMENTS…]` (arguments separated by spaces); nil when malformed.
    public static func parseDefinition(_ text: String) -> (name: String, words: [String])? {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let words = text[text.index(after: eq)...].split(separator: " ").map(String.init)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), !words.isEmpty else { return nil }
        return (name, words)
    }

    /// Finds the driver named `name`.
    ///
    /// - Parameter toolDirectory: the folder of the natsfault executable; the nats.c driver is built beside it.
    /// - Throws: `DriverError.notInstalled` with the command that installs it.
    /// - Parameter declared: drivers the scenario file declares (see `declared(_:scenarioFile:)`); they come first.
    public static func locate(_ name: String, toolDirectory: String, declared: [String: DriverCommand] = [:]) throws(DriverError) -> DriverCommand {
        if var command = declared[name] {
            command.executable = onPath(command.executable)
            guard FileManager.default.isExecutableFile(atPath: command.executable) else {
                throw .notInstalled(name: name, hint: "the scenario file declares it as \(command.executable), which is not an executable file")
            }
            return command
        }
        if var command = custom[name] {
            command.executable = onPath(command.executable)
            guard FileManager.default.isExecutableFile(atPath: command.executable) else {
                throw .notInstalled(name: name, hint: "--driver \(name)=\(command.executable): not an executable file")
            }
            return command
        }
        switch name {
        case "c":
            let path = "\(toolDirectory)/natsfault-driver-c"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw .notInstalled(name: name, hint: "build it with `swift build` (needs libnats-dev: scripts/setup installs it); looked for \(path)")
            }
            return DriverCommand(name: name, executable: path, arguments: [])
        case "go", "python":
            let candidates = ["\(toolDirectory)/natsfault-driver-\(name)", "\(builtDriversDirectory)/natsfault-driver-\(name)"]
            guard let path = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
                let needs = name == "go" ? "golang-go and golang-github-nats-io-go-nats-dev" : "nats-py from PyPI"
                throw .notInstalled(name: name, hint: "run scripts/setup (it installs \(needs) and builds the driver); looked for \(candidates.joined(separator: " and "))")
            }
            return DriverCommand(name: name, executable: path, arguments: [])
        default:
            throw .notInstalled(name: name, hint: "known drivers: \((shipped.map(\.name) + custom.keys.sorted()).joined(separator: ", ")); define your own with `run --driver \(name)=COMMAND` or `conformance --define \(name)=COMMAND`")
        }
    }
}

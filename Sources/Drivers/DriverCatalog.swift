import Foundation

/// How to start a driver: the executable and its arguments.
public struct DriverCommand: Sendable, Hashable {
    public var name: String
    public var executable: String
    public var arguments: [String]
}

/// The drivers natsfault ships, found without configuration.
public enum DriverCatalog {
    /// The default client.
    public static let defaultDriver = "c"

    /// The shipped drivers, with the library each wraps.
    public static let shipped: [(name: String, library: String)] = [("c", "nats.c"), ("go", "nats.go"), ("python", "nats.py")]

    /// Where scripts/setup puts the drivers it builds (nats.go) or wraps (nats.py): `.build/drivers` of this checkout,
    /// or `$NATSFAULT_DRIVERS_DIR`.
    public static var builtDriversDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["NATSFAULT_DRIVERS_DIR"], !dir.isEmpty { return dir }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return checkout.appendingPathComponent(".build/drivers").path
    }

    /// The environment variable that carries `--driver NAME=COMMAND` definitions to the scenario runners:
    /// `NAME=COMMAND` entries separated by newlines.
    public static let customDriversVariable = "NATSFAULT_CUSTOM_DRIVERS"

    /// Drivers the user named on the command line (`--driver java=./my-java-driver --flag`), by name.
    public static var custom: [String: DriverCommand] {
        let text = ProcessInfo.processInfo.environment[customDriversVariable] ?? ""
        var found: [String: DriverCommand] = [:]
        for line in text.split(separator: "\n") {
            guard let (name, words) = parseDefinition(String(line)) else { continue }
            found[name] = DriverCommand(name: name, executable: words[0], arguments: Array(words.dropFirst()))
        }
        return found
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
    public static func locate(_ name: String, toolDirectory: String) throws(DriverError) -> DriverCommand {
        if let command = custom[name] {
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
            throw .notInstalled(name: name, hint: "known drivers: \((shipped.map(\.name) + custom.keys.sorted()).joined(separator: ", ")); name your own with --driver \(name)=COMMAND")
        }
    }
}

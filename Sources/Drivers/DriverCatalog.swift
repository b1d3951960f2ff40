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

    /// Finds the driver named `name`.
    ///
    /// - Parameter toolDirectory: the folder of the natsfault executable; the nats.c driver is built beside it.
    /// - Throws: `DriverError.notInstalled` with the command that installs it.
    public static func locate(_ name: String, toolDirectory: String) throws(DriverError) -> DriverCommand {
        switch name {
        case "c":
            let path = "\(toolDirectory)/natsfault-driver-c"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw .notInstalled(name: name, hint: "build it with `swift build` (needs libnats-dev: scripts/setup installs it); looked for \(path)")
            }
            return DriverCommand(name: name, executable: path, arguments: [])
        case "go", "python":
            throw .notInstalled(name: name, hint: "the \(name) driver is not shipped yet; use --client c")
        default:
            throw .notInstalled(name: name, hint: "known drivers: c")
        }
    }
}

import Foundation
public import NATSFaultDrivers
public import NATSFaultScenario
public import NATSFaultSupervisor

/// What one run of one scenario uses: the client driver, the server binary and a folder for its files.
public struct RunTarget: Sendable, Codable {
    /// The driver for clients that do not name one.
    public var client: String
    public var server: ServerBinary
    /// Every installed nats-server, for servers that pin a version.
    public var installedServers: [ServerBinary]
    /// The folder holding natsfault and the nats.c driver.
    public var toolDirectory: String
    /// Where configs and logs go.
    public var workDirectory: String
    /// Whether the run has its own namespaces.
    public var sandboxed = false
    /// The command of every client, by client name: its driver, or the program of an application under test.
    public var commands: [String: DriverCommand] = [:]
    /// The seed of everything the run draws at random (a latency fault's jitter without a seed of its own).
    public var seed: UInt64 = 0
    /// How reports name the run's client column: the driver, or what ran when no client follows `--client` (the
    /// pinned drivers, `app:NAME` for an application under test).
    public var label: String

    public init(client: String, server: ServerBinary, installedServers: [ServerBinary] = [], toolDirectory: String, workDirectory: String, label: String? = nil) {
        self.client = client
        self.label = label ?? client
        self.server = server
        self.installedServers = installedServers
        self.toolDirectory = toolDirectory
        self.workDirectory = workDirectory
    }

    /// Finds the command of every client of `scenario`: its driver (its own `driver`, else this target's), or
    /// its program; a relative path in the file is relative to the file's folder.
    ///
    /// - Throws: `RunError.environment` naming what is missing and how to install it.
    public func resolvingCommands(of scenario: Scenario) throws(RunError) -> RunTarget {
        var target = self
        let declared = DriverCatalog.declared(scenario.drivers, scenarioFile: scenario.file)
        for client in scenario.clients {
            if let words = client.command {
                let program = DriverCatalog.declared([client.name: words], scenarioFile: scenario.file)[client.name]!
                guard FileManager.default.isExecutableFile(atPath: DriverCatalog.onPath(program.executable)) else {
                    throw .environment("\(scenario.file): application \(client.name): \(program.executable) is not an executable file (a relative path is relative to the scenario file's folder)")
                }
                target.commands[client.name] = DriverCommand(name: program.name, executable: DriverCatalog.onPath(program.executable), arguments: program.arguments)
            } else {
                let name = client.driver ?? self.client
                do { target.commands[client.name] = try DriverCatalog.locate(name, toolDirectory: toolDirectory, declared: declared) } catch {
                    throw .missing(error, for: client.driver == nil ? nil : scenario.file)
                }
            }
        }
        return target
    }

    /// The binary for one server of the scenario: its pinned version, else the run's.
    func binary(for spec: ServerSpec) throws -> ServerBinary {
        guard let version = spec.version else { return server }
        return try ServerBinary.select(from: installedServers, versionPrefix: version)
    }
}

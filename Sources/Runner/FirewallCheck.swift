import NATSFaultFirewall
import NATSFaultScenario

/// A round trip through libiptc in the current network namespace: each kind of rule is added, read
/// back, removed and read back again. `doctor` runs it in a fresh sandbox.
public enum FirewallCheck {
    static let samples = [
        FirewallRule(action: .drop, direction: .in, port: 4222, source: nil, destination: "127.0.0.1"),
        FirewallRule(action: .reject, direction: .in, port: 4222, source: "127.0.0.3", destination: nil),
        FirewallRule(action: .rejectICMP, direction: .out, port: 8222, source: "127.0.0.2", destination: nil),
        FirewallRule(action: .drop, direction: .out, transport: "udp", port: 5000, source: nil, destination: nil),
    ]

    /// How libiptc's listing shows a rule natsfault added.
    static func listing(of rule: FirewallRule) -> String {
        let target = switch rule.action {
        case .drop: "DROP"
        case .reject: "REJECT tcp-reset"
        case .rejectICMP: "REJECT icmp-port-unreachable"
        }
        let port = rule.port ?? 0
        return "\(rule.transport) dpt:\(rule.direction == .in ? port : 0) spt:\(rule.direction == .out ? port : 0) "
            + "src:\(rule.source ?? "-") dst:\(rule.destination ?? "-") -> \(target)"
    }

    /// One line per step, `ok …` or `FAIL …`; the last line says whether all passed.
    public static func run() -> (passed: Bool, lines: [String]) {
        var lines: [String] = []
        var passed = true
        for rule in samples {
            let chain = rule.direction == .in ? "INPUT" : "OUTPUT"
            do {
                try Firewall.add(rule)
                let added = try Firewall.list(chain: chain)
                let expected = Self.listing(of: rule)
                let shown = added == [expected]
                lines.append((shown ? "ok   added  " : "FAIL added  ") + "\(rule): " + (shown ? expected : "expected [\(expected)], read back \(added)"))
                try Firewall.remove(rule)
                let after = try Firewall.list(chain: chain)
                lines.append((after.isEmpty ? "ok   removed " : "FAIL removed ") + "\(rule)" + (after.isEmpty ? "" : ": still \(after)"))
                passed = passed && shown && after.isEmpty
            } catch {
                lines.append("FAIL \(rule): \(error)")
                passed = false
            }
        }
        return (passed, lines)
    }
}

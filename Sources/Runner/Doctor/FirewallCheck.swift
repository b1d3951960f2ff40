import NATSFaultFirewall
import NATSFaultScenario
import NATSFaultTimeline
import Foundation

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
        case .reject: "REJECT tcp-reset (not RST)"  // a reset rule lets resets through (cfirewall.c)
        case .rejectICMP: "REJECT icmp-port-unreachable"
        }
        let port = rule.port ?? 0
        return "\(rule.transport) dpt:\(rule.direction == .in ? port : 0) spt:\(rule.direction == .out ? port : 0) "
            + "src:\(rule.source ?? "-") dst:\(rule.destination ?? "-") -> \(target)"
    }

    /// The rules of a partition of one node from two peers: two per route link address, in one commit.
    static let partitionSample = ["127.2.1.2", "127.2.2.1", "127.2.1.3", "127.2.3.1"].flatMap { host in
        [FirewallRule(action: .drop, direction: .in, port: nil, source: nil, destination: host),
         FirewallRule(action: .drop, direction: .in, port: nil, source: host, destination: nil)]
    }

    /// One line per step, `ok …` or `FAIL …`; the last line says whether all passed.
    public static func run() -> (passed: Bool, lines: [String]) {
        var lines: [String] = []
        var passed = true
        for rules in samples.map({ [$0] }) + [partitionSample] {
            let chain = rules[0].direction == .in ? "INPUT" : "OUTPUT"
            let what = rules.count == 1 ? "\(rules[0])" : "\(rules.count) rules in one commit"
            do {
                try Firewall.add(rules)
                let added = try Firewall.list(chain: chain)
                let expected = rules.map(Self.listing(of:))
                let shown = added == expected
                lines.append((shown ? "ok   added  " : "FAIL added  ") + "\(what): " + (shown ? expected.joined(separator: "; ") : "expected \(expected), read back \(added)"))
                try Firewall.remove(rules)
                let after = try Firewall.list(chain: chain)
                lines.append((after.isEmpty ? "ok   removed " : "FAIL removed ") + what + (after.isEmpty ? "" : ": still \(after)"))
                passed = passed && shown && after.isEmpty
            } catch {
                lines.append("FAIL \(what): \(error)")
                passed = false
            }
        }
        return (passed, lines)
    }

    /// Whether this process has a network namespace of its own: a fresh one holds only `lo`.
    public static func inOwnNetworkNamespace() -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8) else { return false }
        let interfaces = text.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
        return interfaces == ["lo"]
    }

    /// Times `rounds` additions and removals of one rule, and of a partition's 8 rules in one commit (ns each).
    public static func time(rounds: Int) throws -> (add: [Int64], remove: [Int64], addSet: [Int64], removeSet: [Int64]) {
        var add: [Int64] = [], remove: [Int64] = [], addSet: [Int64] = [], removeSet: [Int64] = []
        func timed(_ body: () throws -> Void) rethrows -> Int64 {
            let start = MonotonicClock.nowNs()
            try body()
            return MonotonicClock.nowNs() - start
        }
        let rule = samples[0]
        for _ in 0..<rounds {
            add.append(try timed { try Firewall.add([rule]) })
            remove.append(try timed { try Firewall.remove([rule]) })
            addSet.append(try timed { try Firewall.add(partitionSample) })
            removeSet.append(try timed { try Firewall.remove(partitionSample) })
        }
        return (add, remove, addSet, removeSet)
    }
}

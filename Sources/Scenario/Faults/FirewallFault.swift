/// A fault made of iptables rules in the run's own network namespace, added in one commit and removed
/// by a `heal` step or when `for` runs out.
protocol FirewallFault: Fault {
    var rules: [FirewallRule] { get }
    var duration: Duration? { get }
    /// What the fault does, in words.
    var wording: String { get }
}

extension FirewallFault {
    static var target: FaultTarget { .firewall }
    static var healable: Bool { true }
    var subject: FaultSubject { FaultSubject() }
    var lasting: Lasting { .untilHealed(for: duration) }
    var description: String { wording + (duration.map { " for \(DurationText.format($0))" } ?? "") }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.addFirewallRules(rules)
    }

    func heal(in context: any FaultContext, step: Int) async throws {
        try await context.removeFirewallRules(rules)
    }
}

extension FirewallRule {
    /// Rules matching every packet to or from each of `hosts` (proxy listeners), in the INPUT chain
    /// that loopback packets cross on their way in.
    static func link(_ hosts: [String], action: FirewallAction) -> [FirewallRule] {
        hosts.flatMap { host in
            [FirewallRule(action: action, direction: .in, port: nil, source: nil, destination: host),
             FirewallRule(action: action, direction: .in, port: nil, source: host, destination: nil)]
        }
    }
}

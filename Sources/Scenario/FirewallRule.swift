/// What a firewall rule does with the packets it matches.
public enum FirewallAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Discard silently: the sender learns of it only by timeouts and pings.
    case drop
    /// Refuse with a TCP reset: the sender learns of it at once.
    case reject
    /// Refuse with an ICMP port-unreachable message.
    case rejectICMP = "reject_icmp"
}

/// Which packets a rule matches, seen from the port's owner.
public enum FirewallDirection: String, Sendable, Hashable, Codable, CaseIterable {
    /// Packets arriving for the port (INPUT chain, destination port).
    case `in`
    /// Packets leaving from the port (OUTPUT chain, source port).
    case out
}

/// One iptables rule in the sandbox's network namespace.
public struct FirewallRule: Sendable, Hashable, Codable, CustomStringConvertible {
    public var action: FirewallAction
    public var direction: FirewallDirection
    /// `tcp` or `udp`.
    public var transport: String
    public var port: Int?
    public var source: String?
    public var destination: String?

    public init(action: FirewallAction, direction: FirewallDirection, transport: String = "tcp", port: Int?, source: String?, destination: String?) {
        self.action = action
        self.direction = direction
        self.transport = transport
        self.port = port
        self.source = source
        self.destination = destination
    }

    public var description: String {
        var parts = ["\(action.rawValue) \(transport) \(direction.rawValue)"]
        if let port { parts.append("port \(port)") }
        if let source { parts.append("from \(source)") }
        if let destination { parts.append("to \(destination)") }
        return parts.joined(separator: " ")
    }
}

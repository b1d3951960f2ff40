internal import CFirewall
public import NATSFaultScenario

/// Why a firewall change failed, with libiptc's own text.
public struct FirewallError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// iptables rules in the filter table of the current network namespace, through libiptc.
///
/// natsfault only calls it inside a scenario's own namespace, where the rules vanish with it.
public enum Firewall {
    /// Adds a rule (one commit).
    public static func add(_ rule: FirewallRule) throws(FirewallError) { try change(rule, add: true) }

    /// Removes a rule added earlier (one commit).
    public static func remove(_ rule: FirewallRule) throws(FirewallError) { try change(rule, add: false) }

    /// The chain a rule belongs to.
    static func chain(_ rule: FirewallRule) -> String { rule.direction == .in ? "INPUT" : "OUTPUT" }

    /// The rules of a chain as one line each, e.g. `tcp dpt:4222 spt:0 src:- dst:127.0.0.1 -> DROP`.
    public static func list(chain: String) throws(FirewallError) -> [String] {
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        let count = cfw_list(chain, &buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard count >= 0 else { throw FirewallError(description: text) }
        return text.split(separator: "\n").map(String.init)
    }

    private static func change(_ rule: FirewallRule, add: Bool) throws(FirewallError) {
        var error = [CChar](repeating: 0, count: 512)
        let action: cfw_action = switch rule.action {
        case .drop: CFW_DROP
        case .reject: CFW_REJECT_TCP_RESET
        case .rejectICMP: CFW_REJECT_ICMP_PORT_UNREACHABLE
        }
        let result = chain(rule).withCString { chain in
            withOptionalCString(rule.source) { source in
                withOptionalCString(rule.destination) { destination in
                    var spec = cfw_rule(
                        chain: chain, protocol: rule.transport == "udp" ? 17 : 6,
                        destination_port: rule.direction == .in ? Int32(rule.port ?? 0) : 0,
                        source_port: rule.direction == .out ? Int32(rule.port ?? 0) : 0,
                        source: source, destination: destination, action: action)
                    return cfw_change(&spec, add ? 1 : 0, &error, error.count)
                }
            }
        }
        guard result == 0 else {
            throw FirewallError(description: "\(add ? "adding" : "removing") \"\(rule)\": " + String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

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
    /// Adds rules, all in one commit: they take effect together or not at all.
    public static func add(_ rules: [FirewallRule]) throws(FirewallError) { try change(rules, add: true) }

    /// Removes rules added earlier, in one commit.
    public static func remove(_ rules: [FirewallRule]) throws(FirewallError) { try change(rules, add: false) }

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

    private static func change(_ rules: [FirewallRule], add: Bool) throws(FirewallError) {
        guard !rules.isEmpty else { return }
        var error = [CChar](repeating: 0, count: 512)
        // The C strings must outlive the call: keep them in one array of buffers.
        let strings = rules.map { rule in
            (chain: Array(chain(rule).utf8CString), source: rule.source.map { Array($0.utf8CString) }, destination: rule.destination.map { Array($0.utf8CString) })
        }
        let result = withCStrings(strings.flatMap { [$0.chain, $0.source, $0.destination] }) { pointers in
            var specs = rules.enumerated().map { index, rule in
                cfw_rule(
                    chain: pointers[3 * index], protocol: rule.transport == "udp" ? 17 : 6,
                    destination_port: rule.direction == .in ? Int32(rule.port ?? 0) : 0,
                    source_port: rule.direction == .out ? Int32(rule.port ?? 0) : 0,
                    source: pointers[3 * index + 1], destination: pointers[3 * index + 2], action: cAction(rule.action))
            }
            return cfw_change(&specs, specs.count, add ? 1 : 0, &error, error.count)
        }
        guard result == 0 else {
            let what = rules.map { "\"\($0)\"" }.joined(separator: ", ")
            throw FirewallError(description: "\(add ? "adding" : "removing") \(what): " + String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    private static func cAction(_ action: FirewallAction) -> cfw_action {
        switch action {
        case .drop: CFW_DROP
        case .reject: CFW_REJECT_TCP_RESET
        case .rejectICMP: CFW_REJECT_ICMP_PORT_UNREACHABLE
        }
    }
}

/// Calls `body` with stable pointers to each buffer (nil for a nil buffer).
private func withCStrings<R>(_ buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = buffers.map { buffer in
        guard let buffer else { return nil }
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: buffer.count)
        p.initialize(from: buffer, count: buffer.count)
        return p
    }
    defer { for p in copies { p?.deallocate() } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

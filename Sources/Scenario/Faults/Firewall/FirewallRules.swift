/// `firewall: {action, direction, transport, server | port, source, destination, for}`: iptables rules
/// matched by direction, transport, port and loopback addresses.
struct FirewallRules: FirewallFault {
    static let name = "firewall"
    static let parameters = [
        ScenarioKey.required("action", .choice(of: FirewallAction.self, what: "firewall action"), "drop (silently), reject (TCP reset) or reject_icmp (ICMP port unreachable)."),
        ScenarioKey("direction", .choice(["in", "out", "both"], what: "direction"), "in: packets arriving for the port; out: packets leaving from it; both. Default: in."),
        ScenarioKey("transport", .choice(["tcp", "udp"], what: "transport"), "Default: tcp."),
        ScenarioKey("server", .name, "Match this server's client port (and its address); not with port."),
        ScenarioKey("port", .wholeNumber(1...65535), "Match this port; not with server."),
        ScenarioKey("source", .text, "Match packets from this loopback address (127.0.0.0/8)."),
        ScenarioKey("destination", .text, "Match packets to this loopback address (127.0.0.0/8)."),
        ScenarioKey("for", .duration(.positive), "Remove the rules by themselves after this long. Default: until healed."),
    ]
    static let what = "a firewall rule"
    static let summary = "iptables rules (drop, reject, reject_icmp) by direction, transport, port or server, and loopback addresses"

    var rules: [FirewallRule]
    var duration: Duration?

    var reportedName: String { "firewall_\(rules.first?.action.rawValue ?? "drop")" }
    var wording: String { "firewall: " + rules.map(\.description).joined(separator: "; ") }

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        let action = try m.required("action").oneOf(FirewallAction.self)
        let transport = try m["transport"]?.string() ?? "tcp"
        guard ["tcp", "udp"].contains(transport) else { throw try m.required("transport").error("unknown transport \"\(transport)\"; allowed: tcp, udp") }
        if action == .reject, transport == "udp" { throw try m.required("action").error("a TCP reset cannot answer UDP; use reject_icmp or drop") }
        var directions: [FirewallDirection] = [.in]
        if let v = m["direction"] {
            let text = try v.string()
            if text == "both" { directions = [.in, .out] } else {
                guard let d = FirewallDirection(rawValue: text) else { throw v.error("unknown direction \"\(text)\"; allowed: in, out, both") }
                directions = [d]
            }
        }
        var port = try m["port"]?.int()
        var serverHost: String?
        if let v = m["server"] {
            guard port == nil else { throw v.error("give \"server\" or \"port\", not both") }
            let name = try input.references.server(v)
            let spec = input.references.servers.first { $0.name == name }
            port = spec?.port
            serverHost = spec?.host
        }
        func address(_ key: String) throws(ScenarioError) -> String? {
            guard let v = m[key] else { return nil }
            let text = try v.string()
            let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
            guard octets.count == 4, text.split(separator: ".").count == 4 else { throw v.error("\"\(text)\" is not an IPv4 address; e.g. 127.0.0.2") }
            guard octets[0] == 127 else { throw v.error("\(text) is outside the sandbox; rules may only name loopback addresses (127.0.0.0/8)") }
            return text
        }
        let source = try address("source"), destination = try address("destination")
        guard port != nil || source != nil || destination != nil else {
            throw input.body.error("a firewall rule needs \"server\", \"port\", \"source\" or \"destination\"; a rule on all traffic would cut the harness off too")
        }
        let rules = directions.map { d in
            // The server's own address is the destination of what arrives for it and the source of what it sends.
            FirewallRule(action: action, direction: d, transport: transport, port: port,
                         source: source ?? (d == .out ? serverHost : nil), destination: destination ?? (d == .in ? serverHost : nil))
        }
        return Self(rules: rules, duration: try m["for"]?.duration())
    }
}

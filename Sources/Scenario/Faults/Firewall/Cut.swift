/// `cut: {client, server, action, for}`: one client cut off from one server, by firewall rules on that
/// client's proxy link.
struct Cut: FirewallFault {
    static let name = "cut"
    static let parameters = [
        ScenarioKey.required("client", .name, "The client to cut off; it needs link: proxy."),
        ScenarioKey.required("server", .name, "The server to cut it off from; one of the client's servers."),
        ScenarioKey("action", .choice(of: FirewallAction.self, what: "cut action"), "drop, reject (TCP reset) or reject_icmp. Default: drop."),
        ScenarioKey("for", .duration(.positive), "Remove the rules by themselves after this long. Default: until healed."),
    ]
    static let summary = "cuts one client off one server with firewall rules on its link"

    var rules: [FirewallRule]
    var duration: Duration?
    var wording: String

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let refs = input.references
        let m = try input.mapping(of: Self.self)
        let action = try m["action"]?.oneOf(FirewallAction.self) ?? .drop
        let client = try refs.proxiedClient(m.required("client"))
        let serverValue = try m.required("server")
        let name = try refs.server(serverValue)
        guard client.servers.contains(name), let server = refs.servers.first(where: { $0.name == name }) else {
            throw serverValue.error("client \(client.name) does not connect to server \(name); its servers: \(client.servers.joined(separator: ", "))")
        }
        return Self(rules: FirewallRule.link([refs.linkHost(client, server)], action: action), duration: try m["for"]?.duration(),
                    wording: "cut (\(action.rawValue)): client \(client.name) off server \(name)")
    }
}

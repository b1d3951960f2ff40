/// `partition: {servers, from, clients, action, for}`: servers cut off from the rest of their cluster (and
/// optionally from clients), by firewall rules on the proxy listeners that carry the cluster's routes
/// and the clients' links.
struct Partition: FirewallFault {
    static let name = "partition"
    static let parameters = [
        ScenarioKey.required("servers", .oneOrList(.name), "The side cut off: servers of one cluster."),
        ScenarioKey("from", .oneOrList(.name), "The other side. Default: every other node of that cluster."),
        ScenarioKey("clients", .list(.name), "Clients cut off from the cut side too; each needs link: proxy."),
        ScenarioKey("action", .choice(of: FirewallAction.self, what: "partition action"), "drop, reject (TCP reset) or reject_icmp. Default: drop."),
        ScenarioKey("for", .duration(.positive), "Remove the rules by themselves after this long. Default: until healed."),
    ]
    static let summary = "cuts servers off from the rest of their cluster (and from clients) with firewall rules on their links"

    var rules: [FirewallRule]
    var duration: Duration?
    var wording: String

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let refs = input.references
        let m = try input.mapping(of: Self.self)
        let action = try m["action"]?.oneOf(FirewallAction.self) ?? .drop
        let sideValue = try m.required("servers")
        let side = try refs.serverList(sideValue)
        guard let first = side.first, let cluster = first.config.cluster else {
            throw sideValue.error("a partition cuts servers off from the rest of their cluster; \(side.first?.name ?? "this server") declares no \"cluster\"")
        }
        for spec in side where spec.config.cluster != cluster {
            throw sideValue.error("server \(spec.name) is not in cluster \(cluster); a partition splits one cluster")
        }
        let members = refs.servers.filter { $0.config.cluster == cluster }
        var rest = members.filter { member in !side.contains { $0.name == member.name } }
        if let v = m["from"] {
            rest = try refs.serverList(v)
            for spec in rest {
                if side.contains(where: { $0.name == spec.name }) { throw v.error("server \(spec.name) is on both sides of the partition") }
                if spec.config.cluster != cluster { throw v.error("server \(spec.name) is not in cluster \(cluster); a partition splits one cluster") }
            }
        }
        guard !rest.isEmpty else { throw sideValue.error("nothing is left on the other side: cluster \(cluster) has only \(members.map(\.name).joined(separator: ", "))") }
        var hosts: [String] = []
        for a in side {
            for b in rest {
                hosts.append(Scenario.routeHost(from: refs.serverIndex(a), to: refs.serverIndex(b)))
                hosts.append(Scenario.routeHost(from: refs.serverIndex(b), to: refs.serverIndex(a)))
            }
        }
        var cutClients: [String] = []
        if let v = m["clients"] {
            for item in try v.list() {
                let client = try refs.proxiedClient(item)
                for a in side where client.servers.contains(a.name) { hosts.append(refs.linkHost(client, a)) }
                cutClients.append(client.name)
            }
        }
        let clientsText = cutClients.isEmpty ? "" : " and from client\(cutClients.count == 1 ? "" : "s") \(cutClients.joined(separator: ", "))"
        return Self(rules: FirewallRule.link(hosts, action: action), duration: try m["for"]?.duration(),
                    wording: "partition (\(action.rawValue)): \(side.map(\.name).joined(separator: ", ")) cut off from \(rest.map(\.name).joined(separator: ", "))\(clientsText)")
    }
}

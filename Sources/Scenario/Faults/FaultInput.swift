extension ScenarioKey {
    /// A link fault's `direction`.
    static let direction = ScenarioKey("direction", .choice(of: Direction.self, what: "direction"),
                                       "Which way: to_server (the bytes the client sends), to_client (the bytes the server sends) or both.")
}

/// What a fault reads when it is parsed: its step's value and the scenario's servers and clients, with
/// the checks every fault shares (a name must be declared, a link must exist).
public struct FaultInput {
    /// The value under the fault's key; for a link fault, the whole `proxy:` mapping.
    let body: YAMLValue
    let references: References

    /// The body as a mapping of the fault's keys (and, for a link fault, the keys every link fault takes).
    func mapping<F: Fault>(of _: F.Type) throws(ScenarioError) -> YAMLMapping {
        try body.mapping(F.keys)
    }

    /// A server named by the body itself (`kill: a`) or by its `server` key (`restart: {server: a, …}`).
    func serverName(in m: YAMLMapping?) throws(ScenarioError) -> String {
        try references.server(m.map { m throws(ScenarioError) in try m.required("server") } ?? body)
    }

    /// A client named by the body itself (`kill_client: app`) or by its `client` key.
    func clientName(in m: YAMLMapping?) throws(ScenarioError) -> String {
        try references.client(m.map { m throws(ScenarioError) in try m.required("client") } ?? body)
    }

    /// Whether the body is a single name rather than a mapping of keys.
    var isScalar: Bool {
        if case .scalar = body.node { return true }
        return false
    }

    /// The keys every link fault takes: which links (`client`, `server`) and how long (`for`), checked
    /// against the scenario's clients and their links.
    func linkSelection<F: LinkFault>(_ m: YAMLMapping, for _: F.Type, once: Bool) throws(ScenarioError) -> LinkSelection {
        if let v = m["for"], once {
            throw v.error("a \(F.name) fault happens once; \"for\" applies only to faults that last (blackhole, stall, latency, …)")
        }
        var client: String?
        let clients = references.clients
        if let v = m["client"] {
            client = try references.client(v)
            if clients.first(where: { $0.name == client })?.link == .direct {
                throw v.error("client \"\(client!)\" connects directly; give it \"link: proxy\" (the default) to put faults on its links")
            }
        } else if !clients.contains(where: { $0.link == .proxy }) {
            throw body.error("no client goes through the proxy; proxy faults need a client with \"link: proxy\" (the default)")
        }
        var server: String?
        if let v = m["server"] {
            server = try references.server(v)
            guard clients.contains(where: { $0.link == .proxy && $0.servers.contains(server!) }) else {
                throw v.error("no proxied client connects to server \"\(server!)\"; the fault would act on nothing")
            }
            if let client, let spec = clients.first(where: { $0.name == client }), !spec.servers.contains(server!) {
                throw v.error("client \"\(client)\" does not connect to server \"\(server!)\"; allowed: \(spec.servers.joined(separator: ", "))")
            }
        }
        return LinkSelection(client: client, server: server, duration: try m["for"]?.duration())
    }

    /// A link fault's `direction`: required when `fallback` is nil.
    func direction<F: LinkFault>(_ m: YAMLMapping, for _: F.Type, default fallback: Direction?) throws(ScenarioError) -> Direction {
        guard let v = m["direction"] else {
            guard let fallback else { throw body.error("a \(F.name) fault needs \"direction\"; allowed: \(Direction.allowedList)") }
            return fallback
        }
        return try v.oneOf(Direction.self)
    }
}

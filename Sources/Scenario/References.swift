/// The scenario's servers and clients as declared so far, and the checks that a name refers to one of them.
struct References {
    var servers: [ServerSpec] = []
    var clients: [ClientSpec] = []
    /// The accounts of operator mode (`accounts:`), read before the servers.
    var accounts: [AccountSpec] = []

    var serverNames: [String] { servers.map(\.name) }
    var clientNames: [String] { clients.map(\.name) }

    func server(_ value: YAMLValue) throws(ScenarioError) -> String {
        let name = try value.string()
        guard serverNames.contains(name) else {
            throw value.error("no server is named \"\(name)\"; allowed: \(serverNames.joined(separator: ", "))")
        }
        return name
    }

    func client(_ value: YAMLValue) throws(ScenarioError) -> String {
        let name = try value.string()
        guard clientNames.contains(name) else {
            throw value.error("no client is named \"\(name)\"; allowed: \(clientNames.isEmpty ? "(clients are declared under \"clients\")" : clientNames.joined(separator: ", "))")
        }
        return name
    }

    /// A client that reaches its servers through the proxy: only its own links can be cut.
    func proxiedClient(_ value: YAMLValue) throws(ScenarioError) -> ClientSpec {
        let name = try client(value)
        guard let client = clients.first(where: { $0.name == name }) else { throw value.error("no client is named \"\(name)\"") }
        guard client.link == .proxy else {
            throw value.error("client \(name) has link: direct; cutting one client off needs its own proxy link (remove \"link: direct\"), or use a firewall step on the server's port to cut every client")
        }
        return client
    }

    /// A list of server names (or one name), each declared.
    func serverList(_ value: YAMLValue) throws(ScenarioError) -> [ServerSpec] {
        let items: [YAMLValue] = if case .sequence = value.node { try value.list() } else { [value] }
        guard !items.isEmpty else { throw value.error("name at least one server") }
        var specs: [ServerSpec] = []
        for item in items {
            let name = try server(item)
            guard let spec = servers.first(where: { $0.name == name }) else { continue }
            if specs.contains(spec) { throw item.error("server \(name) is listed twice") }
            specs.append(spec)
        }
        return specs
    }

    func serverIndex(_ spec: ServerSpec) -> Int { servers.firstIndex { $0.name == spec.name } ?? 0 }

    /// Where `client` reaches `server`: the server itself, or the proxy's listener for that link,
    /// `127.1.<client position>.<server position>` on the server's port.
    func address(of server: ServerSpec, for client: ClientSpec) -> (host: String, port: Int) {
        guard client.link == .proxy, let c = clients.firstIndex(where: { $0.name == client.name }),
              let s = servers.firstIndex(where: { $0.name == server.name }) else { return (server.host, server.port) }
        return (Scenario.proxyHost(client: c, server: s), server.port)
    }

    /// The URL `client` connects to for `server`, both by name.
    func url(of server: String, for client: String) -> String? {
        guard let s = servers.first(where: { $0.name == server }), let c = clients.first(where: { $0.name == client }) else { return nil }
        let (host, port) = address(of: s, for: c)
        return "nats://\(host):\(port)"
    }

    /// The proxy listener that carries a proxied `client`'s link to `server`.
    func linkHost(_ client: ClientSpec, _ server: ServerSpec) -> String { address(of: server, for: client).host }

    /// A server's users (`authorization` block), as written under `users:`.
    func users(_ value: YAMLValue?) throws(ScenarioError) -> [User] {
        guard let value else { return [] }
        var result: [User] = []
        for entry in try value.list() {
            if case .mapping(let pairs) = entry.node, let key = pairs.keys.first(where: { ["expires", "expires_at"].contains($0.string ?? "") }) {
                throw YAMLValue(node: key, file: entry.file, path: entry.path).error(
                    "\"\(key.string ?? "")\" needs operator mode: a user with a password never expires; declare the user under a top-level \"accounts:\" entry (JWT credentials), e.g. accounts: [{name: app, users: [{name: alice, expires: 3s}]}], and give its clients \"credentials: alice\"")
            }
            let m = try entry.mapping(ScenarioKeys.user)
            result.append(User(user: try m.required("user").string(), password: try m.required("password").string()))
        }
        return result
    }
}

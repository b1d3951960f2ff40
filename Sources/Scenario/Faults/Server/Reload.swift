/// `reload: {server, users, max_connections}`: rewrites a server's configuration with the changes and
/// sends SIGHUP (users removed from a running server: revoked credentials).
struct Reload: Fault {
    static let name = "reload"
    static let target = FaultTarget.server
    static let parameters = [
        ScenarioKey.required("server", .name, "The server to reload."),
        ScenarioKey("users", .list(.mapping(ScenarioKeys.user)), "Replaces the server's users; [] removes its authorization block."),
        ScenarioKey("max_connections", .wholeNumber(1...Int(Int32.max)), "The new max_connections."),
    ]
    static let summary = "rewrites a server's configuration (users, max_connections) and sends SIGHUP"

    var server: String
    var change: ServerConfigChange

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        var change = ServerConfigChange()
        if let v = m["users"] {
            guard input.references.accounts.isEmpty else {
                throw v.error("the servers are in operator mode (the scenario has \"accounts\"): their users are JWT users; change a user's credentials with rotate_credentials")
            }
            change.users = try input.references.users(v)
        }
        change.maxConnections = try m["max_connections"]?.int()
        guard change.users != nil || change.maxConnections != nil else {
            throw input.body.error("a reload changes something; allowed: users, max_connections")
        }
        return Self(server: try input.serverName(in: m), change: change)
    }

    var subject: FaultSubject { FaultSubject(server: server) }
    var description: String { "reload server \(server) (SIGHUP, changed config)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.reloadServer(server, change)
    }
}

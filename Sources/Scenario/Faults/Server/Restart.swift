/// `restart: SERVER` or `restart: {server, down, kill}`: stops a server (SIGTERM, or SIGKILL with
/// `kill: true`), keeps it down for `down`, starts it again and waits until it accepts clients.
struct Restart: Fault {
    static let name = "restart"
    static let target = FaultTarget.server
    static let parameters = ["server", "down", "kill"]
    static let summary = "stops a server (SIGTERM, or SIGKILL with kill: true), keeps it down for `down`, starts it again"

    var server: String
    var down: Duration = .zero
    var kill = false

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        if input.isScalar { return Self(server: try input.serverName(in: nil)) }
        let m = try input.mapping(of: Self.self)
        return Self(server: try input.serverName(in: m), down: try m["down"]?.duration() ?? .zero, kill: try m["kill"]?.bool() ?? false)
    }

    var subject: FaultSubject { FaultSubject(server: server) }
    var applyTime: Duration { down }
    var description: String { "restart server \(server) (\(kill ? "SIGKILL" : "SIGTERM"), down \(DurationText.format(down)))" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.stopServer(server, with: kill ? .kill : .term)
        if down > .zero { try await context.wait(down) }
        try await context.startServer(server)
    }
}

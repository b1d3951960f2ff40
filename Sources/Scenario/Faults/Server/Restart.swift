/// `restart: SERVER` or `restart: {server, down, kill, version}`: stops a server (SIGTERM, or SIGKILL with
/// `kill: true`), keeps it down for `down`, starts it again — on another nats-server version with `version`, an
/// upgrade or a downgrade, keeping its name, address, cluster and files — and waits until it accepts clients.
struct Restart: Fault {
    static let name = "restart"
    static let target = FaultTarget.server
    static let parameters = [
        ScenarioKey.required("server", .name, "The server to restart."),
        ScenarioKey("down", .duration(.zero), "How long it stays down. Default: 0s."),
        ScenarioKey("kill", .boolean, "true: stop it with SIGKILL instead of SIGTERM."),
        ScenarioKey("version", .serverVersion, "Start it again on this nats-server version: a prefix such as \"2.12\", oldest or newest installed, or next, the next installed version above the one it runs (the newest stays). An upgrade or a downgrade. Default: the version it ran."),
    ]
    static let stepValue = nameOrKeys
    static let summary = "stops a server (SIGTERM, or SIGKILL with kill: true), keeps it down for `down`, starts it again"

    var server: String
    var down: Duration = .zero
    var kill = false
    var version: String?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        if input.isScalar { return Self(server: try input.serverName(in: nil)) }
        let m = try input.mapping(of: Self.self)
        return Self(server: try input.serverName(in: m), down: try m["down"]?.duration() ?? .zero, kill: try m["kill"]?.bool() ?? false,
                    version: try m["version"]?.serverVersion())
    }

    var subject: FaultSubject { FaultSubject(server: server) }
    var leastDuration: Duration { down }
    var description: String {
        "restart server \(server) (\(kill ? "SIGKILL" : "SIGTERM"), down \(DurationText.format(down))\(version.map { ", on nats-server \($0)" } ?? ""))"
    }
    var serverVersion: String? { version }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.stopServer(server, with: kill ? .kill : .term)
        if down > .zero { try await context.wait(down) }
        try await context.startServer(server, version: version)
    }
}

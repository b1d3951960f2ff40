/// `lame_duck: SERVER`: puts a server in lame-duck mode with SIGUSR2: it closes its clients over its grace period, then exits.
struct LameDuck: ServerFault {
    static let name = "lame_duck"
    static let summary = "puts a server in lame-duck mode with SIGUSR2: it closes its clients over its grace period, then exits"
    var server: String
    var description: String { "lame duck server \(server) (SIGUSR2)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalServer(server, .usr2)
    }
}

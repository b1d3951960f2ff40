/// `kill: SERVER`: kills a server with SIGKILL and waits for it to exit.
struct Kill: ServerFault {
    static let name = "kill"
    static let summary = "kills a server with SIGKILL and waits for it to exit"
    var server: String
    var description: String { "kill server \(server) (SIGKILL)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.stopServer(server, with: .kill)
    }
}

/// `stop: SERVER`: stops a server with SIGTERM and waits for it to exit.
struct Stop: ServerFault {
    static let name = "stop"
    static let summary = "stops a server with SIGTERM and waits for it to exit"
    var server: String
    var description: String { "stop server \(server) (SIGTERM)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.stopServer(server, with: .term)
    }
}

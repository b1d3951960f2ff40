/// `pause: SERVER`: freezes a server with SIGSTOP: its connections stay open, it answers nothing.
struct Pause: ServerFault {
    static let name = "pause"
    static let summary = "freezes a server with SIGSTOP: its connections stay open, it answers nothing"
    var server: String
    var description: String { "pause server \(server) (SIGSTOP)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalServer(server, .stop)
    }
}

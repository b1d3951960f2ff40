/// `resume: SERVER`: lets a paused server run again with SIGCONT.
struct Resume: ServerFault {
    static let name = "resume"
    static let summary = "lets a paused server run again with SIGCONT"
    static let harmless = true
    var server: String
    var description: String { "resume server \(server) (SIGCONT)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalServer(server, .cont)
    }
}

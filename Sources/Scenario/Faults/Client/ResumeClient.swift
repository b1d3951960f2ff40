/// `resume_client: CLIENT`: lets a paused client's process run again with SIGCONT.
struct ResumeClient: ClientFault {
    static let name = "resume_client"
    static let summary = "lets a paused client's process run again with SIGCONT"
    static let harmless = true
    var client: String
    var description: String { "resume client \(client) (SIGCONT)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalClient(client, .cont)
    }

    func ends(_ active: any Fault) -> Bool { (active as? PauseClient)?.client == client }
}

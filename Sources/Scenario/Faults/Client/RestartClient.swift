/// `restart_client: CLIENT`: kills a client's process if it runs, starts a new one and connects it as at
/// the start: a service instance restarting.
struct RestartClient: ClientFault {
    static let name = "restart_client"
    static let summary = "kills a client's process if it runs, starts it again and connects it as at the start"
    var client: String
    var description: String { "restart client \(client)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.restartClient(client)
    }
}

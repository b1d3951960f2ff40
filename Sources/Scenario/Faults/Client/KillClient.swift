/// `kill_client: CLIENT`: SIGKILLs a client's process (its driver, or the application): a service instance crashing.
struct KillClient: ClientFault {
    static let name = "kill_client"
    static let summary = "SIGKILLs a client's driver or application process: an instance crashing"
    var client: String
    var description: String { "kill client \(client)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalClient(client, .kill)
    }
}

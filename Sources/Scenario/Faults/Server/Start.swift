/// `start: SERVER`: starts a server that is not running and waits until it accepts clients.
struct Start: ServerFault {
    static let name = "start"
    static let summary = "starts a server that is not running and waits until it accepts clients"
    static let harmless = true
    var server: String
    var description: String { "start server \(server)" }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.startServer(server, version: nil)
    }
}

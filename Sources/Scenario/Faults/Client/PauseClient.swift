/// `pause_client: CLIENT` or `pause_client: {client, for}`: freezes a client's process with SIGSTOP — the
/// hung service of a real outage: alive, its connection open, answering nothing — until a `heal` step,
/// a `resume_client` step, or the end of `for` (SIGCONT).
struct PauseClient: Fault {
    static let name = "pause_client"
    static let target = FaultTarget.client
    static let parameters = [
        ScenarioKey.required("client", .name, "The client to freeze."),
        ScenarioKey("for", .duration(.positive), "It heals by itself this long after the step. Default: until healed."),
    ]
    static let what = "a client pause"
    static let stepValue = nameOrKeys
    static let healable = true
    static let summary = "freezes a client's process with SIGSTOP (a hung instance: connected, answering nothing) until healed or `for` ends"

    var client: String
    var duration: Duration?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        if input.isScalar { return Self(client: try input.clientName(in: nil)) }
        let m = try input.mapping(of: Self.self)
        return Self(client: try input.clientName(in: m), duration: try m["for"]?.duration())
    }

    var subject: FaultSubject { FaultSubject(client: client) }
    var lasting: Lasting { .untilHealed(for: duration) }
    var description: String { "pause client \(client) (SIGSTOP)" + (duration.map { " for \(DurationText.format($0))" } ?? "") }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.signalClient(client, .stop)
    }

    func heal(in context: any FaultContext, step: Int) async throws {
        try await context.signalClient(client, .cont)
    }
}

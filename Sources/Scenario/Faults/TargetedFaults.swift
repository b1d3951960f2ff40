/// A fault on one server, written `NAME: SERVER`.
protocol ServerFault: Fault {
    var server: String { get }
    init(server: String)
}

extension ServerFault {
    static var target: FaultTarget { .server }
    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self { Self(server: try input.serverName(in: nil)) }
    var subject: FaultSubject { FaultSubject(server: server) }
}

/// A fault on one client's process, written `NAME: CLIENT`.
protocol ClientFault: Fault {
    var client: String { get }
    init(client: String)
}

extension ClientFault {
    static var target: FaultTarget { .client }
    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self { Self(client: try input.clientName(in: nil)) }
    var subject: FaultSubject { FaultSubject(client: client) }
}

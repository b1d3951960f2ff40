/// `proxy: {fault: inject_err, message}`: sends `-ERR '<message>'` to the clients, as if from the server. Happens once.
struct InjectError: LinkFault {
    static let name = "inject_err"
    static let parameters = [ScenarioKey.required("message", .text, "The text of the -ERR line.")]
    static let summary = "sends -ERR '<message>' to the client as if from the server (once)"
    static let healable = false
    var links: LinkSelection
    var message: String
    var direction: Direction? { .toClient }
    var strike: ConnectionStrike? { .sendToClient("-ERR '\(message)'\r\n") }

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: !healable), message: try m.required("message").string())
    }
}

/// `proxy: {fault: rewrite_info, max_payload}`: changes what the server's INFO tells the client, in every INFO the
/// server sends while the fault lasts (the first of each connection, reconnects included, and later ones).
///
/// With `max_payload` above the server's own limit, a client believes it may publish more than the server
/// accepts: it sends the message, and the server answers `-ERR 'Maximum Payload Violation'` and closes the connection.
struct RewriteInfo: LinkFault {
    static let name = "rewrite_info"
    static let parameters = [ScenarioKey.required("max_payload", .byteSize(1...Int(Int32.max)), "The max_payload the client is told: bytes, or with KB or MB.")]
    static let summary = "sets fields of the INFO the server sends the client (`max_payload`) while it lasts"
    var links: LinkSelection
    var maxPayload: Int
    var direction: Direction? { .toClient }

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false),
                    maxPayload: try m.required("max_payload").byteSize())
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if flow == .toClient { shape.infoFields["max_payload"] = maxPayload }
    }

    var description: String {
        "proxy rewrite_info max_payload \(maxPayload) on \(links.client ?? "every client") → \(links.server ?? "every server")"
            + (links.duration.map { " for \(DurationText.format($0))" } ?? "")
    }
}

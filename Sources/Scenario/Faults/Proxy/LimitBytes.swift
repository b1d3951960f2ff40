/// `proxy: {fault: limit_bytes, bytes, direction}`: forwards `bytes` more bytes, then closes the connection.
struct LimitBytes: LinkFault {
    static let name = "limit_bytes"
    static let parameters = [ScenarioKey.required("bytes", .wholeNumber(0...Int.max, what: "a byte count"), "Bytes forwarded before the connection is closed."), .direction]
    static let summary = "forwards `bytes` more bytes, then closes the connection"
    var links: LinkSelection
    var bytes: Int
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false),
                    bytes: try m.required("bytes").int(), direction: try input.direction(m, for: Self.self, default: .both))
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.limitBytes = min(shape.limitBytes ?? .max, bytes) }
    }
}

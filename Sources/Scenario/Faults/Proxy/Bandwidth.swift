/// `proxy: {fault: bandwidth, bytes_per_s, direction}`: paces the bytes to a rate (the lowest of several wins).
struct Bandwidth: LinkFault {
    static let name = "bandwidth"
    static let parameters = [ScenarioKey.required("bytes_per_s", .wholeNumber(1...Int(Int32.max), what: "a byte rate"), "Bytes a second, each way of each connection."), .direction]
    static let summary = "paces the bytes to `bytes_per_s`"
    var links: LinkSelection
    var bytesPerSecond: Int
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false),
                    bytesPerSecond: try m.required("bytes_per_s").int(),
                    direction: try input.direction(m, for: Self.self, default: .both))
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.bytesPerSecond = min(shape.bytesPerSecond ?? .max, bytesPerSecond) }
    }
}

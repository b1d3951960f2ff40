/// `proxy: {fault: slicer, bytes, delay, direction}`: delivers the bytes in pieces of `bytes`, `delay` apart.
struct Slicer: LinkFault {
    static let name = "slicer"
    static let parameters = [
        ScenarioKey.required("bytes", .wholeNumber(1...Int(Int32.max), what: "a byte count"), "The largest piece, in bytes."),
        ScenarioKey("delay", .duration(.zero), "The least time between pieces. Default: 1ms."),
        .direction,
    ]
    static let summary = "delivers the bytes in pieces of `bytes`, `delay` apart"
    var links: LinkSelection
    var bytes: Int
    var delay: Duration
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false),
                    bytes: try m.required("bytes").int(),
                    delay: try m["delay"]?.duration() ?? .milliseconds(1), direction: try input.direction(m, for: Self.self, default: .both))
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.slice = FlowShape.Slice(bytes: bytes, delay: delay) }
    }
}

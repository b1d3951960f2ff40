/// `proxy: {fault: delay_pongs, delay, direction}`: holds each PONG for `delay`; other operations pass.
struct DelayPongs: LinkFault {
    static let name = "delay_pongs"
    static let parameters = [ScenarioKey.required("delay", .duration(.positive), "How long each PONG is held."), .direction]
    static let summary = "holds each PONG for `delay`; other operations pass"
    var links: LinkSelection
    var delay: Duration
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false), delay: try m.required("delay").duration(),
                    direction: try input.direction(m, for: Self.self, default: .both))
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.pongDelay = delay }
    }
}

/// `proxy: {fault: latency, latency, jitter, seed, direction}`: delays every chunk by `latency` ± `jitter`
/// (drawn from a generator seeded with `seed`, so runs repeat), keeping order.
struct Latency: LinkFault {
    static let name = "latency"
    static let parameters = ["latency", "jitter", "seed", "direction"]
    static let summary = "delays every chunk by `latency` ± `jitter` (seeded), keeping order"
    var links: LinkSelection
    var latency: Duration
    var jitter: Duration
    var seed: UInt64
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false), latency: try m.required("latency").duration(),
                    jitter: try m["jitter"]?.duration() ?? .zero, seed: UInt64(try m["seed"]?.int(0...Int.max) ?? 1),
                    direction: try input.direction(m, for: Self.self, default: .both))
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { (shape.latency, shape.jitter, shape.seed) = (latency, jitter, seed) }
    }
}

/// `proxy: {fault: latency, latency, jitter, seed, direction}`: delays every chunk by `latency` ± `jitter`
/// (drawn from a generator seeded with `seed`, or without one from the run's seed and the step, so a replay repeats
/// them), keeping order.
struct Latency: LinkFault {
    static let name = "latency"
    static let parameters = [
        ScenarioKey.required("latency", .duration(.zero), "How long each chunk is held."),
        ScenarioKey("jitter", .duration(.zero), "Plus or minus this much, drawn at random. Default: 0s."),
        ScenarioKey("seed", .wholeNumber(0...Int.max), "The seed of the jitter. Default: drawn from the run's seed."),
        .direction,
    ]
    static let summary = "delays every chunk by `latency` ± `jitter` (seeded), keeping order"
    var links: LinkSelection
    var latency: Duration
    var jitter: Duration
    /// nil: drawn from the run's seed when applied.
    var seed: UInt64?
    var direction: Direction?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        let m = try input.mapping(of: Self.self)
        return Self(links: try input.linkSelection(m, for: Self.self, once: false), latency: try m.required("latency").duration(),
                    jitter: try m["jitter"]?.duration() ?? .zero, seed: try m["seed"].map { v throws(ScenarioError) in UInt64(try v.int()) },
                    direction: try input.direction(m, for: Self.self, default: .both))
    }

    func apply(in context: any FaultContext, step: Int) async throws {
        var seeded = self
        seeded.seed = seed ?? context.seed(forStep: step)
        try await context.addLinkFault(seeded, step: step, client: links.client, server: links.server)
    }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { (shape.latency, shape.jitter, shape.seed) = (latency, jitter, seed ?? 0) }
    }
}

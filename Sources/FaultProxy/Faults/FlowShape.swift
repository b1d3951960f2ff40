import NATSFaultScenario

/// What the active faults do to the bytes flowing one way through one connection.
///
/// Derived, pure: the relay asks it how to treat each chunk, so the rules live in one place and can
/// be tested without sockets.
struct FlowShape: Equatable {
    /// Pieces of `bytes`, `delay` apart.
    struct Slice: Equatable {
        var bytes: Int
        var delay: Duration
    }

    var blackhole = false
    var stalled = false
    var latency: Duration?
    var jitter: Duration = .zero
    var seed: UInt64 = 0
    var bytesPerSecond: Int?
    var slice: Slice?
    var limitBytes: Int?
    var dropPings = false
    var dropPongs = false
    var pongDelay: Duration?

    /// The shape of the flow `flow` (`.toServer` or `.toClient`) under `faults`.
    init(faults: [ProxyFault], flow: Direction) {
        for fault in faults where fault.direction.map({ $0.covers(flow) }) ?? false {
            switch fault {
            case .blackhole: blackhole = true
            case .stall: stalled = true
            case .latency(let l, let j, let s, _): (latency, jitter, seed) = (l, j, s)
            case .bandwidth(let rate, _): bytesPerSecond = min(bytesPerSecond ?? .max, rate)
            case .slicer(let bytes, let delay, _): slice = Slice(bytes: bytes, delay: delay)
            case .limitBytes(let n, _): limitBytes = min(limitBytes ?? .max, n)
            case .dropPings: dropPings = true
            case .dropPongs: dropPongs = true
            case .delayPongs(let d, _): pongDelay = d
            case .reset, .close, .refuse, .acceptThenDrop, .injectError: break
            }
        }
    }

    init() {}

    /// Whether operations must be looked at one by one (otherwise chunks pass whole).
    var filtersOperations: Bool { dropPings || dropPongs || pongDelay != nil }

    /// Whether chunks wait in a queue instead of passing at once.
    var queues: Bool { stalled || latency != nil || bytesPerSecond != nil || slice != nil }

    /// How many queued bytes make the relay stop reading: about a second of a throttled link (at
    /// least 64 KiB), else 1 MiB. A slow link holds little; a big queue would hide its slowness.
    var queueLimit: Int { bytesPerSecond.map { max(65536, $0) } ?? (1 << 20) }

    /// The largest piece a chunk is cut into before it is queued.
    var pieceSize: Int {
        var size = Int.max
        if let rate = bytesPerSecond { size = max(1, rate / 50) }  // about 20 ms of bandwidth
        if let slice { size = min(size, slice.bytes) }
        return size
    }
}

/// A small seeded generator (SplitMix64), so that jitter repeats run after run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

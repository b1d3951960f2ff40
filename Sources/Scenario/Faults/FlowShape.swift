/// A fault on the proxy's client × server links: written under `proxy:` as `fault: NAME`.
///
/// It contributes to the relay through the shapes only: what it does to the bytes flowing each way
/// (`shape(_:flow:)`), to the link's listener (`shape(_:)`), and once, when applied, to the link's
/// current connections (`strike`). The relay folds the shapes of every active fault and never names a fault.
public protocol LinkFault: Fault {
    /// The links it acts on, and how long it lasts.
    var links: LinkSelection { get }
    /// The direction it acts on, where it has one (for reports).
    var direction: Direction? { get }
    /// Shapes the bytes flowing `flow` (`.toServer` or `.toClient`) while the fault is active.
    func shape(_ shape: inout FlowShape, flow: Direction)
    /// Shapes what the link's listener does with new connections while the fault is active.
    func shape(_ listener: inout ListenerShape)
    /// What it does once to the link's current connections as it is applied (faults that are not `healable`).
    var strike: ConnectionStrike? { get }
}

extension LinkFault {
    public static var target: FaultTarget { .link }
    public static var healable: Bool { true }
    public var direction: Direction? { nil }
    public func shape(_ shape: inout FlowShape, flow: Direction) {}
    public func shape(_ listener: inout ListenerShape) {}
    public var strike: ConnectionStrike? { nil }
    public var subject: FaultSubject { FaultSubject(client: links.client, server: links.server) }
    public var lasting: Lasting { Self.healable ? .untilHealed(for: links.duration) : .once }

    public func apply(in context: any FaultContext, step: Int) async throws {
        try await context.addLinkFault(self, step: step, client: links.client, server: links.server)
    }

    public func heal(in context: any FaultContext, step: Int) async throws {
        try await context.removeLinkFault(step: step)
    }

    public var description: String {
        "proxy \(reportedName)" + (direction.map { $0 == .both ? "" : " \($0.rawValue)" } ?? "")
            + " on \(links.client ?? "every client") → \(links.server ?? "every server")" + (links.duration.map { " for \(DurationText.format($0))" } ?? "")
    }
}

/// Which links a link fault acts on, and for how long: the keys every `proxy:` step takes.
public struct LinkSelection: Sendable, Hashable, Codable {
    /// The client whose links it affects; nil: every proxied client.
    public var client: String?
    /// The server whose links it affects; nil: every server.
    public var server: String?
    /// Heal by itself after this long; nil: until a `heal` step.
    public var duration: Duration?

    public init(client: String? = nil, server: String? = nil, duration: Duration? = nil) {
        self.client = client
        self.server = server
        self.duration = duration
    }
}

/// What a link fault does once to the connections a link carries when it is applied.
public enum ConnectionStrike: Sendable, Hashable {
    /// Close both sides of every connection: with RST (SO_LINGER 0), or with FIN.
    case close(reset: Bool)
    /// Send this protocol line to every client, at the next operation boundary, as if from the server.
    case sendToClient(String)
}

/// What a link's listener does while faults are active.
public struct ListenerShape: Equatable, Sendable {
    /// The listener is closed: new connections are refused.
    public var refuses = false
    /// New connections are accepted and closed at once.
    public var dropsNewConnections = false

    public init() {}

    /// The listener's shape under `faults`.
    public init(faults: [any LinkFault]) {
        for fault in faults { fault.shape(&self) }
    }
}

/// What the active faults do to the bytes flowing one way through one connection.
///
/// Derived, pure: the relay asks it how to treat each chunk, so the rules live in one place and can
/// be tested without sockets.
public struct FlowShape: Equatable, Sendable {
    /// Pieces of `bytes`, `delay` apart.
    public struct Slice: Equatable, Sendable {
        public var bytes: Int
        public var delay: Duration
    }

    /// Forward nothing.
    public var blackhole = false
    /// Hold every byte until the fault is healed.
    public var stalled = false
    public var latency: Duration?
    public var jitter: Duration = .zero
    public var seed: UInt64 = 0
    public var bytesPerSecond: Int?
    public var slice: Slice?
    /// Forward this many more bytes, then close the connection.
    public var limitBytes: Int?
    public var dropPings = false
    public var dropPongs = false
    public var pongDelay: Duration?
    /// Fields of the server's INFO set to these values (towards the client), e.g. `max_payload`.
    public var infoFields: [String: Int] = [:]

    public init() {}

    /// The shape of the flow `flow` (`.toServer` or `.toClient`) under `faults`, applied in order.
    public init(faults: [any LinkFault], flow: Direction) {
        for fault in faults { fault.shape(&self, flow: flow) }
    }

    /// Whether operations must be looked at one by one (otherwise chunks pass whole).
    public var filtersOperations: Bool { dropPings || dropPongs || pongDelay != nil || !infoFields.isEmpty }

    /// Whether chunks wait in a queue instead of passing at once.
    public var queues: Bool { stalled || latency != nil || bytesPerSecond != nil || slice != nil }

    /// How many queued bytes make the relay stop reading: about a second of a throttled link (at
    /// least 64 KiB), else 1 MiB. A slow link holds little; a big queue would hide its slowness.
    public var queueLimit: Int { bytesPerSecond.map { max(65536, $0) } ?? (1 << 20) }

    /// The largest piece a chunk is cut into before it is queued.
    public var pieceSize: Int {
        var size = Int.max
        if let rate = bytesPerSecond { size = max(1, rate / 50) }  // about 20 ms of bandwidth
        if let slice { size = min(size, slice.bytes) }
        return size
    }
}

extension Scenario {
    /// Whether a proxy fault of the timeline looks at the operations clients send (drops or delays their PINGs or
    /// PONGs); when none does, the proxy relays the clients' bytes without parsing them.
    public var filtersClientOperations: Bool {
        steps.contains { step in
            guard case .fault(let fault) = step.action, let linkFault = fault.base as? any LinkFault else { return false }
            return FlowShape(faults: [linkFault], flow: .toServer).filtersOperations
        }
    }
}

/// A small seeded generator (SplitMix64), so that jitter repeats run after run.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Which way bytes flow through a proxied link.
public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
    /// From the client to the server.
    case toServer = "to_server"
    /// From the server to the client.
    case toClient = "to_client"
    case both

    /// Whether a fault on `self` affects the bytes flowing in `flow`.
    public func covers(_ flow: Direction) -> Bool { self == .both || self == flow }
}

/// A fault the proxy injects on the links between clients and servers.
public enum ProxyFault: Sendable, Hashable {
    /// Abort every current connection with RST on both sides (SO_LINGER 0). Happens once.
    case reset
    /// Close every current connection with FIN on both sides. Happens once.
    case close
    /// Keep both sockets open and forward nothing either way: the half-open connection.
    case blackhole
    /// Hold the bytes flowing one way (they flow again, in order, after the heal).
    case stall(Direction)
    /// Close the listener: new connections are refused; current ones are untouched.
    case refuse
    /// Accept new connections and close them at once.
    case acceptThenDrop
    /// Delay every chunk by `latency` ± `jitter` (drawn from a generator seeded with `seed`), keeping order.
    case latency(Duration, jitter: Duration, seed: UInt64, Direction)
    /// Pace the bytes to `bytesPerSecond`.
    case bandwidth(bytesPerSecond: Int, Direction)
    /// Deliver in pieces of `bytes`, `delay` apart.
    case slicer(bytes: Int, delay: Duration, Direction)
    /// Forward `bytes` more bytes, then close the connection.
    case limitBytes(Int, Direction)
    /// Drop PING operations.
    case dropPings(Direction)
    /// Drop PONG operations.
    case dropPongs(Direction)
    /// Hold each PONG for `delay` (other operations pass).
    case delayPongs(Duration, Direction)
    /// Send `-ERR '<message>'` to the client, as if from the server. Happens once.
    case injectError(String)

    /// The fault's name as scenario files write it.
    public var name: String {
        switch self {
        case .reset: "reset"
        case .close: "close"
        case .blackhole: "blackhole"
        case .stall: "stall"
        case .refuse: "refuse"
        case .acceptThenDrop: "accept_then_drop"
        case .latency: "latency"
        case .bandwidth: "bandwidth"
        case .slicer: "slicer"
        case .limitBytes: "limit_bytes"
        case .dropPings: "drop_pings"
        case .dropPongs: "drop_pongs"
        case .delayPongs: "delay_pongs"
        case .injectError: "inject_err"
        }
    }

    /// Faults that act once and leave nothing to heal.
    public var isOneShot: Bool {
        switch self {
        case .reset, .close, .injectError: true
        default: false
        }
    }

    /// The direction a fault acts on, where it has one.
    public var direction: Direction? {
        switch self {
        case .stall(let d), .latency(_, _, _, let d), .bandwidth(_, let d), .slicer(_, _, let d), .limitBytes(_, let d),
             .dropPings(let d), .dropPongs(let d), .delayPongs(_, let d):
            d
        case .injectError: .toClient
        case .blackhole: .both
        case .reset, .close, .refuse, .acceptThenDrop: nil
        }
    }
}

/// A proxy fault step: which fault, on which links, for how long.
public struct ProxyFaultStep: Sendable, Hashable {
    public var fault: ProxyFault
    /// The client whose links it affects; nil: every proxied client.
    public var client: String?
    /// The server whose links it affects; nil: every server.
    public var server: String?
    /// Heal by itself after this long; nil: until a `heal` step.
    public var duration: Duration?
}

/// What a `heal` step removes.
public enum HealTarget: Sendable, Hashable {
    /// The proxy fault or firewall rules installed by the step with this id.
    case step(String)
    /// Every active proxy fault and firewall rule.
    case all
}

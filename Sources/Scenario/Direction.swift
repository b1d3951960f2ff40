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

/// What a `heal` step removes.
public enum HealTarget: Sendable, Hashable, Codable {
    /// The lasting fault (proxy fault, firewall rules, paused client) of the step with this id.
    case step(String)
    /// Every lasting fault still in effect.
    case all
}

/// Rewrites the server addresses a server's INFO advertises (`connect_urls`) to the proxy's listeners.
///
/// A clustered server tells its clients the client addresses of the other nodes; a client that fails
/// over to one of them would leave the proxy, and with it every fault and cut aimed at that client.
/// With the addresses rewritten to the client's own links, a proxied client reaches every node
/// through the proxy, after failover too.
public struct ConnectURLRewrite: Sendable, Hashable {
    /// `host:port` as a server advertises it → the `host:port` of the client's link to that server.
    public var addresses: [String: String]

    public init(addresses: [String: String]) { self.addresses = addresses }

    /// The addresses with every known one replaced by its link's.
    func rewrite(_ urls: [String]) -> [String] { urls.map { addresses[$0] ?? $0 } }
}

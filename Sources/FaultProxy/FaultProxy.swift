import NATSFaultScenario
import NATSFaultTimeline
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The proxy between clients and servers: one listener per client × server link, faults per link.
///
/// Owns its event-loop group; `shutdown()` closes every listener and connection and stops the group.
public final class FaultProxy: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let record: @Sendable (RecordedEvent) -> Void
    private let links = NIOLockedValueBox<[LinkID: Link]>([:])
    /// Which links each active fault was applied to.
    private let applied = NIOLockedValueBox<[Int: [LinkID]]>([:])

    /// - Parameters:
    ///   - threads: event-loop threads; one serves a scenario, several serve heavy traffic.
    ///   - record: receives what the proxy sees that matters: server errors, dropped PINGs and PONGs.
    public init(threads: Int = 1, record: @escaping @Sendable (RecordedEvent) -> Void) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.record = record
    }

    /// Starts a link: listen on `listenHost:listenPort`, relay to `upstreamHost:upstreamPort`.
    ///
    /// - Parameters:
    ///   - upstreamUp: whether the server runs now; the link listens only while it does.
    ///   - parsesProtocol: whether the bytes are the NATS client protocol, parsed to record server errors and
    ///     to apply protocol faults; false (cluster routes) relays them untouched.
    ///   - filtersClientOperations: whether a fault may drop or delay what the client sends (its PINGs and PONGs);
    ///     false relays the client's bytes unparsed, which costs the proxy about half its work per message.
    ///   - connectURLs: how to rewrite the addresses the server advertises to the client (clusters).
    public func addLink(_ id: LinkID, listenHost: String, listenPort: Int, upstreamHost: String, upstreamPort: Int, upstreamUp: Bool = true,
                        parsesProtocol: Bool = true, filtersClientOperations: Bool = true, connectURLs: ConnectURLRewrite? = nil) async throws {
        let link = Link(id: id, listen: try SocketAddress(ipAddress: listenHost, port: listenPort),
                        upstream: try SocketAddress(ipAddress: upstreamHost, port: upstreamPort), parsesProtocol: parsesProtocol,
                        filtersClientOperations: filtersClientOperations, connectURLs: connectURLs, group: group, record: record)
        links.withLockedValue { $0[id] = link }
        try await link.setUpstream(up: upstreamUp)
    }

    /// Tells every link to `server` whether it runs, so that they refuse connections while it does not.
    public func setServer(_ server: String, running: Bool) async throws {
        for link in links.withLockedValue({ $0.values.filter { $0.id.server == server } }) {
            try await link.setUpstream(up: running)
        }
    }

    /// Applies a fault to every client link of `client` (nil: all clients) to `server` (nil: all servers);
    /// route links are not client links.
    ///
    /// - Parameter faultID: the name `heal(faultID:)` removes it by.
    public func apply(_ fault: any LinkFault, faultID: Int, client: String?, server: String?) async throws {
        let targets = links.withLockedValue { $0.values.filter { $0.parsesProtocol && (client == nil || $0.id.client == client) && (server == nil || $0.id.server == server) } }
        for link in targets { try await link.add(fault, id: faultID) }
        if type(of: fault).healable { applied.withLockedValue { $0[faultID] = targets.map(\.id) } }
    }

    /// Removes a fault from every link it was applied to; returns whether it was active.
    @discardableResult
    public func heal(faultID: Int) async throws -> Bool {
        guard let ids = applied.withLockedValue({ $0.removeValue(forKey: faultID) }) else { return false }
        let targets = links.withLockedValue { all in ids.compactMap { all[$0] } }
        for link in targets { try await link.remove(faultID: faultID) }
        return true
    }

    /// The ids of the faults currently active.
    public var activeFaults: [Int] { applied.withLockedValue { Array($0.keys).sorted() } }

    /// Closes every link and stops the event loops.
    public func shutdown() async {
        for link in links.withLockedValue({ Array($0.values) }) { await link.shutdown() }
        try? await group.shutdownGracefully()
    }
}

import NATSFaultScenario
import NATSFaultTimeline
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One client × server link: the client connects to its listener, the proxy connects on to the server.
public struct LinkID: Sendable, Hashable, CustomStringConvertible {
    public var client: String
    public var server: String

    public init(client: String, server: String) {
        self.client = client
        self.server = server
    }

    public var description: String { "\(client) → \(server)" }
}

/// A relayed connection: the client's channel, the server's, and the handlers shaping each way.
struct RelayedConnection: Sendable {
    let clientChannel: Channel
    let serverChannel: Channel
    let toServer: NIOLoopBound<DirectionHandler>
    let toClient: NIOLoopBound<DirectionHandler>

    var eventLoop: EventLoop { clientChannel.eventLoop }

    /// Hands the connection the faults now active; the future completes once they are in effect.
    func update(_ faults: [any LinkFault]) -> EventLoopFuture<Void> {
        eventLoop.submit {
            toServer.value.update(faults)
            toClient.value.update(faults)
        }
    }

    func inject(_ line: String) {
        eventLoop.execute {
            toClient.value.inject(clientChannel.allocator.buffer(string: line))
        }
    }

    /// Closes both sides; with `reset`, with RST (SO_LINGER 0) instead of FIN.
    func close(reset: Bool) {
        eventLoop.execute {
            if reset {
                abort([clientChannel, serverChannel])
            } else {
                clientChannel.close(promise: nil)
                serverChannel.close(promise: nil)
            }
        }
    }
}

/// Closes channels with RST instead of FIN (SO_LINGER with a zero timeout).
///
/// Every channel gets its linger set before any is closed: closing one makes the relay close its
/// partner, which must then reset too, not end with a FIN.
func abort(_ channels: [Channel]) {
    guard let loop = channels.first?.eventLoop else { return }
    let lingers = channels.map { channel in
        (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)) ?? loop.makeSucceededVoidFuture()
    }
    EventLoopFuture.andAllComplete(lingers, on: loop).whenComplete { _ in
        for channel in channels { channel.close(promise: nil) }
    }
}

/// The listener of one link, its relayed connections and the faults active on it.
final class Link: Sendable {
    let id: LinkID
    let listen: SocketAddress
    let upstream: SocketAddress
    let parsesProtocol: Bool
    /// Whether the client's bytes are parsed too (only faults that filter its operations need them parsed).
    let filtersClientOperations: Bool
    let connectURLs: ConnectURLRewrite?
    private let group: EventLoopGroup
    private let record: @Sendable (RecordedEvent) -> Void
    private let state = NIOLockedValueBox(State())

    private struct State {
        var faults: [Int: any LinkFault] = [:]
        var connections: [ObjectIdentifier: RelayedConnection] = [:]
        var listener: Channel?
        /// Whether the server behind the link runs: while it does not, the link refuses
        /// connections as the server's own port would, instead of accepting and resetting them.
        var upstreamUp = true
        var wantsListener: Bool { upstreamUp && !ListenerShape(faults: ordered).refuses }
        /// The active faults in the order they were applied (fault ids grow with the timeline).
        var ordered: [any LinkFault] { faults.sorted { $0.key < $1.key }.map(\.value) }
    }

    init(id: LinkID, listen: SocketAddress, upstream: SocketAddress, parsesProtocol: Bool = true, filtersClientOperations: Bool = true,
         connectURLs: ConnectURLRewrite? = nil, group: EventLoopGroup, record: @escaping @Sendable (RecordedEvent) -> Void) {
        self.filtersClientOperations = filtersClientOperations
        self.connectURLs = connectURLs
        self.id = id
        self.listen = listen
        self.upstream = upstream
        self.parsesProtocol = parsesProtocol
        self.group = group
        self.record = record
    }

    /// Opens or closes the listener so that it listens exactly while the server runs and no `refuse` is active.
    func reconcile() async throws {
        let (wanted, listening) = state.withLockedValue { ($0.wantsListener, $0.listener != nil) }
        if wanted && !listening { try await open() }
        if !wanted && listening { await closeListener() }
    }

    /// Tells the link whether its server is running.
    func setUpstream(up: Bool) async throws {
        state.withLockedValue { $0.upstreamUp = up }
        try await reconcile()
    }

    private func open() async throws {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: Self.reads)
            .childChannelInitializer { [self] child in relay(child) }
            .bind(to: listen).get()
        state.withLockedValue { $0.listener = channel }
    }

    /// Stops listening: new connections are refused.
    private func closeListener() async {
        let listener = state.withLockedValue { s -> Channel? in
            defer { s.listener = nil }
            return s.listener
        }
        try? await listener?.close()
    }

    /// Applies a fault: a strike acts once on the current connections; any other fault stays, shaping
    /// the listener and every connection until it is removed.
    func add(_ fault: any LinkFault, id faultID: Int) async throws {
        switch fault.strike {
        case .close(let reset):
            for c in state.withLockedValue({ Array($0.connections.values) }) { c.close(reset: reset) }
        case .sendToClient(let line):
            for c in state.withLockedValue({ Array($0.connections.values) }) { c.inject(line) }
        case nil:
            let (faults, connections) = state.withLockedValue { s in
                s.faults[faultID] = fault
                return (s.ordered, Array(s.connections.values))
            }
            try await reconcile()
            // The step that applies a fault finishes only once every connection has it.
            for c in connections { try? await c.update(faults).get() }
        }
    }

    /// Removes a fault; returns whether it was active here.
    @discardableResult
    func remove(faultID: Int) async throws -> Bool {
        let (removed, faults, connections) = state.withLockedValue { s in
            (s.faults.removeValue(forKey: faultID), s.ordered, Array(s.connections.values))
        }
        guard removed != nil else { return false }
        try await reconcile()
        for c in connections { try? await c.update(faults).get() }
        return true
    }

    func shutdown() async {
        state.withLockedValue { $0.upstreamUp = false }
        await closeListener()
        for c in state.withLockedValue({ Array($0.connections.values) }) { c.close(reset: false) }
    }

    /// How much one read takes: NIO's adaptive sizes, up to 256 KiB instead of 64 KiB, so that a busy link
    /// pays the per-read cost of the relay (the pipeline, a write, a flush) once per more messages.
    private static let reads = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)

    /// Connects to the server, trying again every 10 ms up to `triesLeft` more times while it refuses.
    private func connectUpstream(on loop: EventLoop, triesLeft: Int) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: Self.reads)
            .connect(to: upstream)
            .flatMapError { [self] error in
                guard triesLeft > 0 else { return loop.makeFailedFuture(error) }
                return loop.flatScheduleTask(in: .milliseconds(10)) { self.connectUpstream(on: loop, triesLeft: triesLeft - 1) }.futureResult
            }
    }

    /// Sets up a newly accepted client connection: connect to the server, then glue the two.
    private func relay(_ client: Channel) -> EventLoopFuture<Void> {
        if state.withLockedValue({ ListenerShape(faults: $0.ordered).dropsNewConnections }) {
            client.close(promise: nil)
            return client.eventLoop.makeSucceededVoidFuture()
        }
        let id = self.id, record = self.record, parses = parsesProtocol, filtersClient = filtersClientOperations, connectURLs = self.connectURLs
        // Route links accept while their server is still starting: the server's cluster peers dial it at
        // once, and a refusal would make them wait a second or more before trying again.
        let patience = parsesProtocol ? 0 : 200
        return connectUpstream(on: client.eventLoop, triesLeft: patience)
            .flatMap { [self] server in
                let (clientGlue, serverGlue) = GlueHandler.matchedPair()
                let close: () -> Void = { client.close(promise: nil); server.close(promise: nil) }
                let toServer = DirectionHandler(flow: .toServer, link: id, parses: parses && filtersClient, inspectsConnect: parses, record: record,
                                                limitReached: close)
                let toClient = DirectionHandler(flow: .toClient, link: id, parses: parses, connectURLs: connectURLs, record: record, limitReached: close)
                do {
                    try client.pipeline.syncOperations.addHandlers([toServer, clientGlue])
                    try server.pipeline.syncOperations.addHandlers([toClient, serverGlue])
                } catch {
                    close()
                    return client.eventLoop.makeFailedFuture(error)
                }
                let connection = RelayedConnection(clientChannel: client, serverChannel: server,
                                                   toServer: NIOLoopBound(toServer, eventLoop: client.eventLoop),
                                                   toClient: NIOLoopBound(toClient, eventLoop: client.eventLoop))
                let key = ObjectIdentifier(client)
                let faults = state.withLockedValue { s in
                    s.connections[key] = connection
                    return s.ordered
                }
                toServer.update(faults)
                toClient.update(faults)
                client.closeFuture.whenComplete { [self] _ in
                    _ = state.withLockedValue { $0.connections.removeValue(forKey: key) }
                    server.close(promise: nil)
                }
                return client.eventLoop.makeSucceededVoidFuture()
            }
            .flatMapError { _ in
                // The server is not there: the client sees its connection reset, as it would directly.
                abort([client])
                return client.eventLoop.makeSucceededVoidFuture()
            }
    }
}


import NATSFaultScenario
import NATSFaultTimeline
import NIOCore

/// Applies the active faults to the bytes flowing one way through one relayed connection.
///
/// Sits in front of the glue handler of the channel the bytes are read from. Every chunk goes
/// through the NATS parser (to see server errors and operation boundaries); with no fault active a
/// chunk passes on whole. Queued bytes (stall, latency, bandwidth, slicer) are bounded: past
/// the shape's queue limit the handler stops reading, so the sender feels TCP back-pressure instead of the
/// proxy buffering without bound.
final class DirectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Queued {
        var bytes: ByteBuffer
        /// nil while held by a stall.
        var releaseAt: NIODeadline?
    }


    let flow: Direction
    let link: LinkID
    /// false: the bytes are not the client protocol (cluster routes); they pass unparsed and protocol faults do not apply.
    let parses: Bool
    /// Towards a client: the server addresses its INFO advertises are rewritten to the client's links.
    let connectURLs: ConnectURLRewrite?
    private let record: @Sendable (RecordedEvent) -> Void
    /// Called when a byte limit is reached: the connection is closed.
    private let limitReached: () -> Void
    private var parser = NATSProtocolParser()
    private var shape = FlowShape()
    private var generator = SeededGenerator(seed: 0)
    private var context: ChannelHandlerContext?
    private var queue = CircularBuffer<Queued>()
    private var queuedBytes = 0
    /// When the last queued piece leaves (with a bandwidth limit: when the link is free again).
    private var lastReleaseAt: NIODeadline?
    private var releaseTask: Scheduled<Void>?
    private var readWithheld = false
    private var bytesLeft: Int?
    /// Lines waiting for an operation boundary: injected errors and delayed PONGs that are due.
    private var dueLines: [ByteBuffer] = []
    private var gaveUpReported = false
    /// Towards the server on a client link: the client's first line, its CONNECT, is read once (see `ConnectInspection`),
    /// whether or not the rest of the client's bytes are parsed. Holds that line's bytes until its end arrives.
    private var connectLine: ByteBuffer?
    private var inspectsConnect: Bool

    init(flow: Direction, link: LinkID, parses: Bool = true, inspectsConnect: Bool = false, connectURLs: ConnectURLRewrite? = nil,
         record: @escaping @Sendable (RecordedEvent) -> Void, limitReached: @escaping () -> Void) {
        self.flow = flow
        self.inspectsConnect = inspectsConnect && flow == .toServer
        self.link = link
        self.parses = parses
        self.connectURLs = flow == .toClient ? connectURLs : nil
        self.record = record
        self.limitReached = limitReached
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseTask?.cancel()
        self.context = nil
    }

    /// Takes the faults now active on the link.
    func update(_ faults: [any LinkFault]) {
        let new = FlowShape(faults: faults, flow: flow)
        guard new != shape else { return }
        if new.seed != shape.seed || (new.latency != nil && shape.latency == nil) { generator = SeededGenerator(seed: new.seed) }
        if new.limitBytes != shape.limitBytes { bytesLeft = new.limitBytes }
        let wasStalled = shape.stalled
        shape = new
        if wasStalled && !new.stalled, let context {
            let now = context.eventLoop.now
            for i in queue.indices where queue[i].releaseAt == nil { queue[i].releaseAt = now }
            release(context: context)
        }
    }

    /// Sends `line` (a whole protocol line) at the next operation boundary.
    func inject(_ line: ByteBuffer) {
        dueLines.append(line)
        if parser.isAtBoundary, let context { emitDueLines(context: context) }
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let chunk = unwrapInboundIn(data)
        if inspectsConnect { inspectConnect(chunk, allocator: context.channel.allocator) }
        if !parses {
            guard !shape.blackhole else { return }
            emit(chunk, context: context)
            return
        }
        if shape.filtersOperations || connectURLs != nil {
            let items = parser.feed(chunk)
            observe(items.compactMap { if case .operation(let op) = $0, op.kind == .err { op } else { nil } })
            guard !shape.blackhole else { return }
            emit(filtered(items, allocator: context.channel.allocator), context: context)
        } else {
            observe(parser.skim(chunk))
            guard !shape.blackhole else { return }
            emit(chunk, context: context)
        }
        if parser.isAtBoundary { emitDueLines(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    // MARK: outbound

    func read(context: ChannelHandlerContext) {
        if queuedBytes > shape.queueLimit {
            readWithheld = true
        } else {
            context.read()
        }
    }

    // MARK: the flow

    /// Records the server's errors (towards the client) and, once, the parser giving up.
    private func observe(_ errors: [NATSOperation]) {
        if flow == .toClient {
            for op in errors {
                let text = op.errorText ?? ""
                record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: link.client, server: link.server, event: .serverErr,
                                     error: ClientError(kind: ServerErrorKind.kind(of: text).rawValue, message: text), text: "-ERR '\(text)' from the server"))
            }
        }
        if let reason = parser.gaveUp, !gaveUpReported {
            gaveUpReported = true
            record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: link.client, server: link.server, event: .log,
                                 text: "proxy stopped parsing \(flow.rawValue): \(reason); bytes still pass, protocol faults no longer apply"))
        }
    }

    /// Reads the client's first line once it is whole and records what the server will refuse in it.
    private func inspectConnect(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) {
        var line = connectLine ?? allocator.buffer(capacity: chunk.readableBytes)
        var rest = chunk
        guard let lf = rest.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            line.writeBuffer(&rest)
            // A first line longer than any handshake the parser accepts is not a CONNECT worth reading.
            if line.readableBytes > parser.maxHandshakeLine { inspectsConnect = false; connectLine = nil } else { connectLine = line }
            return
        }
        var head = rest.readSlice(length: lf - rest.readerIndex + 1)!
        line.writeBuffer(&head)
        inspectsConnect = false
        connectLine = nil
        if let problem = ConnectInspection.problem(inLine: String(buffer: line)) {
            record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: link.client, server: link.server, event: .log, text: "proxy: \(problem)"))
        }
    }

    /// The chunk without the operations the faults drop, with delayed PONGs set aside.
    private func filtered(_ items: [NATSStreamItem], allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: items.reduce(0) { $0 + $1.bytes.readableBytes })
        for item in items {
            if case .operation(let op) = item {
                if op.kind == .info, let rewritten = InfoRewrite.rewrite(infoLine: op.line, connectURLs: connectURLs, fields: shape.infoFields) {
                    var bytes = rewritten
                    out.writeBuffer(&bytes)
                    continue
                }
                if op.kind == .ping && shape.dropPings { dropped("PING"); continue }
                if op.kind == .pong && shape.dropPongs { dropped("PONG"); continue }
                if op.kind == .pong, let delay = shape.pongDelay {
                    schedulePong(op.line, after: delay)
                    continue
                }
            }
            var bytes = item.bytes
            out.writeBuffer(&bytes)
        }
        return out
    }

    private func dropped(_ op: String) {
        record(RecordedEvent(monoNs: MonotonicClock.nowNs(), client: link.client, server: link.server,
                             event: op == "PING" ? .pingDropped : .pongDropped, text: "\(op) dropped \(flow.rawValue)"))
    }

    private func schedulePong(_ line: ByteBuffer, after delay: Duration) {
        guard let context else { return }
        // The handler lives on this event loop, so the task may use it without crossing threads.
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            inject(line)
        }
    }

    private func emitDueLines(context: ChannelHandlerContext) {
        guard !dueLines.isEmpty else { return }
        let lines = dueLines
        dueLines = []
        // A blackholed path carries nothing, not even what the proxy itself would say.
        guard !shape.blackhole else { return }
        for line in lines { emit(line, context: context) }
        context.fireChannelReadComplete()
    }

    /// Passes bytes on, through the queue when the flow is shaped or already has bytes waiting.
    private func emit(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        var bytes = bytes
        guard bytes.readableBytes > 0 else { return }
        var cut = false
        if let left = bytesLeft {
            if bytes.readableBytes >= left {
                bytes = bytes.getSlice(at: bytes.readerIndex, length: left)!
                cut = true
            }
            bytesLeft = left - bytes.readableBytes
        }
        if !shape.queues && queue.isEmpty {
            if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        } else {
            enqueue(bytes, now: context.eventLoop.now)
            release(context: context)
        }
        if cut {
            context.fireChannelReadComplete()
            limitReached()
        }
    }

    private func enqueue(_ bytes: ByteBuffer, now: NIODeadline) {
        var rest = bytes
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(shape.pieceSize, rest.readableBytes))!
            queuedBytes += piece.readableBytes
            guard !shape.stalled else {
                queue.append(Queued(bytes: piece, releaseAt: nil))
                continue
            }
            var at = now
            if let latency = shape.latency {
                let jitter = shape.jitter.nanoseconds
                let offset = jitter > 0 ? Int64.random(in: -jitter...jitter, using: &generator) : 0
                at = at + .nanoseconds(max(0, latency.nanoseconds + offset))
            }
            if let last = lastReleaseAt {
                // Order is kept; slices leave `delay` apart; a throttled link is busy until `last`.
                at = max(at, shape.slice.map { last + .nanoseconds($0.delay.nanoseconds) } ?? last)
            }
            if let rate = shape.bytesPerSecond {
                lastReleaseAt = at + .nanoseconds(Int64(piece.readableBytes) * 1_000_000_000 / Int64(rate))
            } else {
                lastReleaseAt = at
            }
            queue.append(Queued(bytes: piece, releaseAt: at))
        }
    }

    /// Releases every queued piece that is due, in order, and schedules the next release.
    private func release(context: ChannelHandlerContext) {
        releaseTask?.cancel()
        releaseTask = nil
        let now = context.eventLoop.now
        var released = false
        while let first = queue.first, let at = first.releaseAt, at <= now {
            queue.removeFirst()
            queuedBytes -= first.bytes.readableBytes
            context.fireChannelRead(wrapInboundOut(first.bytes))
            released = true
        }
        if released { context.fireChannelReadComplete() }
        if let next = queue.first?.releaseAt {
            releaseTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in
                if let context = self.context { release(context: context) }
            }
        }
        if readWithheld && queuedBytes < shape.queueLimit / 4 {
            readWithheld = false
            context.read()
        }
    }
}

extension NATSStreamItem {
    /// The bytes this item covers in the stream.
    var bytes: ByteBuffer {
        switch self {
        case .operation(let op): op.line
        case .payload(let b, _): b
        case .unparsed(let b): b
        }
    }
}

import NIOCore

/// Turns the bytes read on a channel into NATS stream items, one `channelRead` per item.
///
/// Confined to its channel's event loop. `channelReadComplete` passes through unchanged.
public final class NATSProtocolDecoder: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = NATSStreamItem

    /// The parser's state after the last read: whether it is at a boundary, whether it gave up.
    public private(set) var parser: NATSProtocolParser

    /// Creates a decoder at the start of a stream.
    public init(parser: NATSProtocolParser = NATSProtocolParser()) {
        self.parser = parser
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for item in parser.feed(unwrapInboundIn(data)) {
            context.fireChannelRead(wrapInboundOut(item))
        }
    }
}

@available(*, unavailable)
extension NATSProtocolDecoder: Sendable {}

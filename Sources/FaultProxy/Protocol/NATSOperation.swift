import NIOCore

/// What a NATS protocol operation is, from the verb of its control line.
public enum NATSOperationKind: Sendable, Hashable {
    case info, connect, pub, hpub, sub, unsub, msg, hmsg, ping, pong, ok, err
    /// A line whose verb is none of the above; it carries no payload.
    case unknown
}

/// One protocol operation: its control line and how many payload bytes follow it.
public struct NATSOperation: Sendable, Hashable {
    public var kind: NATSOperationKind
    /// The control line as it was on the wire, with its line end.
    ///
    /// A slice of the input when the line arrived in one read; a copy when it was split across reads.
    public var line: ByteBuffer
    /// Bytes after the control line that belong to this operation, the payload's trailing CR LF included.
    ///
    /// 0 for operations without payload; size + 2 for PUB and MSG; total size + 2 for HPUB and HMSG.
    public var payloadLength: Int
    /// For -ERR, the message without its quotes: `Stale Connection` for `-ERR 'Stale Connection'`.
    public var errorText: String?
}

/// A piece of one direction of a NATS connection, as the parser delivers it.
///
/// Concatenating the bytes of all items, in order, gives back the stream exactly.
public enum NATSStreamItem: Sendable, Hashable {
    /// A complete control line.
    case operation(NATSOperation)
    /// Payload bytes of the preceding operation, a slice of the input.
    ///
    /// `endsOperation` is true on the item holding the last byte of the payload's trailing CR LF.
    case payload(ByteBuffer, endsOperation: Bool)
    /// Bytes passed on as they are because the parser has given up on the stream.
    case unparsed(ByteBuffer)
}

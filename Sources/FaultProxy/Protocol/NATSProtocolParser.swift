import NIOCore

/// Splits one direction of a NATS client connection into operations and payloads, incrementally.
///
/// Feed it each chunk as it is read; the items it returns cover the chunk's bytes exactly, so
/// forwarding them in order reproduces the stream. Payloads are never copied: they come back as
/// slices of the input. Only a control line split across reads is copied, into a buffer that
/// grows to at most the line limit.
///
/// It follows nats-server's reading of the protocol: verbs in any case, arguments separated by
/// spaces or tabs, a line ending at LF (the CR before it is optional), sizes of 1 to 9 digits,
/// and a payload that must end in CR LF. When the stream stops making sense (a bad size, a
/// wrong argument count on an operation with payload, a payload not followed by CR LF, or a
/// control line over the limit) the parser gives up: `gaveUp` says why, and everything from the
/// offending line (for a bad payload end, the offending byte) on comes back as `.unparsed`. A
/// line with an unknown verb is reported as `.unknown` and parsing goes on: it has no payload, so
/// the next line starts after its line end.
public struct NATSProtocolParser: Sendable {
    /// Longest control line, line end included, before the parser gives up.
    ///
    /// The default is nats-server's default `max_control_line`, 4096.
    public let maxControlLine: Int
    /// Longest INFO or CONNECT line, line end included (never less than `maxControlLine`).
    ///
    /// These carry JSON that outgrows `max_control_line`: a server's INFO lists the cluster's
    /// `connect_urls`, a CONNECT may carry a user JWT. They arrive once per connection, so a
    /// larger limit (64 KiB by default) costs little.
    public let maxHandshakeLine: Int
    /// Why the parser stopped parsing, or nil while it is still parsing.
    public private(set) var gaveUp: String?

    /// The unfinished control line, copied out of earlier reads.
    private var partialLine: ByteBuffer?
    /// Bytes of the current operation's payload, trailing CR LF included, still to come.
    private var remainingPayload = 0

    /// Creates a parser at the start of a stream.
    public init(maxControlLine: Int = 4096, maxHandshakeLine: Int = 64 * 1024) {
        self.maxControlLine = maxControlLine
        self.maxHandshakeLine = max(maxHandshakeLine, maxControlLine)
    }

    /// Whether every byte fed so far belongs to a complete operation, so a line can be sent
    /// next without splitting one. False mid-line, mid-payload and after giving up.
    public var isAtBoundary: Bool {
        gaveUp == nil && remainingPayload == 0 && partialLine == nil
    }

    /// Parses the next bytes of the stream.
    ///
    /// - Returns: the items covering `chunk`'s bytes, except those of a control line that is not
    ///   complete yet: they come back with the read that completes it.
    public mutating func feed(_ chunk: ByteBuffer) -> [NATSStreamItem] {
        parse(chunk, everything: true)
    }

    /// Parses the next bytes of the stream, like `feed`, but returns only the `-ERR` operations.
    ///
    /// For a relay that forwards chunks whole and only watches the stream: it keeps the parser's
    /// state (boundaries, giving up) without building an item per operation and payload.
    public mutating func skim(_ chunk: ByteBuffer) -> [NATSOperation] {
        parse(chunk, everything: false).compactMap { item in
            if case .operation(let op) = item { op } else { nil }
        }
    }

    private mutating func parse(_ chunk: ByteBuffer, everything: Bool) -> [NATSStreamItem] {
        var input = chunk
        var items: [NATSStreamItem] = []
        while input.readableBytes > 0 {
            if gaveUp != nil {
                if everything { items.append(.unparsed(input.readSlice(length: input.readableBytes)!)) } else { input.moveReaderIndex(to: input.writerIndex) }
            } else if remainingPayload > 0 {
                readPayload(from: &input, into: &items, everything: everything)
            } else {
                readLine(from: &input, into: &items, everything: everything)
            }
        }
        return items
    }

    private mutating func readPayload(from input: inout ByteBuffer, into items: inout [NATSStreamItem], everything: Bool) {
        let available = min(remainingPayload, input.readableBytes)
        let start = input.readerIndex
        // A trailer byte other than CR LF means the sizes did not describe the stream.
        func wrong(_ offset: Int, _ expected: UInt8) -> Bool {
            offset >= 0 && offset < available && input.getInteger(at: start + offset, as: UInt8.self) != expected
        }
        let crOffset = remainingPayload - 2
        let lfOffset = remainingPayload - 1
        let good = wrong(crOffset, .cr) ? crOffset : wrong(lfOffset, .lf) ? lfOffset : available
        if good > 0 {
            remainingPayload -= good
            if everything {
                items.append(.payload(input.readSlice(length: good)!, endsOperation: remainingPayload == 0))
            } else {
                input.moveReaderIndex(forwardBy: good)
            }
        }
        if good < available {
            let found = input.getInteger(at: input.readerIndex, as: UInt8.self)!
            gaveUp = "a message payload is not followed by CR LF (found byte 0x\(String(found, radix: 16)))"
        }
    }

    private mutating func readLine(from input: inout ByteBuffer, into items: inout [NATSStreamItem], everything: Bool) {
        let newline = input.withUnsafeReadableBytes { $0.firstIndex(of: .lf) }
        let bytesOfLine = newline.map { $0 + 1 } ?? input.readableBytes
        let length = (partialLine?.readableBytes ?? 0) + bytesOfLine
        if length > maxControlLine {
            let limit = startsWithHandshakeVerb(input) ? maxHandshakeLine : maxControlLine
            if length > limit {
                gaveUp = "a control line is longer than \(limit) bytes"
                if let partial = partialLine.take(), everything { items.append(.unparsed(partial)) }
                return
            }
        }
        var line = input.readSlice(length: bytesOfLine)!
        if newline == nil || partialLine != nil {
            // Copied rather than kept as a slice, which would pin the whole read buffer.
            var partial = partialLine.take() ?? ByteBuffer()
            partial.writeImmutableBuffer(line)
            line = partial
        }
        guard newline != nil else {
            partialLine = line
            return
        }
        switch Self.operation(in: line) {
        case .success(let operation):
            remainingPayload = operation.payloadLength
            if everything || operation.kind == .err { items.append(.operation(operation)) }
        case .failure(let malformed):
            gaveUp = malformed.reason
            if everything { items.append(.unparsed(line)) }
        }
    }

    /// Whether the line being read, partial bytes first, starts with INFO or CONNECT and a blank.
    private func startsWithHandshakeVerb(_ input: ByteBuffer) -> Bool {
        // Only reached for lines over the limit, so building this small array is off the hot path.
        var head = Array((partialLine?.readableBytesView ?? ByteBufferView()).prefix(8))
        head += input.readableBytesView.prefix(8 - head.count)
        guard let blank = head.firstIndex(where: \.isBlank) else { return false }
        let kind = head.withUnsafeBytes { Self.kind(ofVerb: UnsafeRawBufferPointer(rebasing: $0[..<blank])) }
        return kind == .info || kind == .connect
    }
}

// MARK: - Control lines

extension NATSProtocolParser {
    private struct MalformedLine: Error {
        var reason: String
    }

    /// Classifies a complete control line and reads the sizes of its payload.
    private static func operation(in line: ByteBuffer) -> Result<NATSOperation, MalformedLine> {
        line.withUnsafeReadableBytes { bytes in
            var end = bytes.count - 1
            if end > 0 && bytes[end - 1] == .cr { end -= 1 }
            var verbEnd = 0
            while verbEnd < end && !bytes[verbEnd].isBlank { verbEnd += 1 }
            let kind = kind(ofVerb: UnsafeRawBufferPointer(rebasing: bytes[..<verbEnd]))
            var operation = NATSOperation(kind: kind, line: line, payloadLength: 0, errorText: nil)
            func malformed(_ problem: String) -> Result<NATSOperation, MalformedLine> {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<min(end, 128)]), as: UTF8.self)
                return .failure(MalformedLine(reason: "malformed control line '\(text)': \(problem)"))
            }
            switch kind {
            case .pub, .msg, .hpub, .hmsg:
                let arguments = Arguments(bytes, from: verbEnd, to: end)
                let withHeaders = kind == .hpub || kind == .hmsg
                // PUB <subject> [reply] ..., MSG <subject> <sid> [reply] ...: one more for MSG and HMSG.
                let fixed = (kind == .msg || kind == .hmsg ? 2 : 1) + (withHeaders ? 2 : 1)
                guard arguments.count == fixed || arguments.count == fixed + 1 else {
                    return malformed("\(arguments.count) arguments, expected \(fixed) or \(fixed + 1)")
                }
                guard let total = size(bytes, arguments.last) else { return malformed("the size is not a number of 1 to 9 digits") }
                if withHeaders {
                    guard let header = size(bytes, arguments.beforeLast) else {
                        return malformed("the header size is not a number of 1 to 9 digits")
                    }
                    guard header <= total else { return malformed("the header size \(header) exceeds the total size \(total)") }
                }
                operation.payloadLength = total + 2
            case .err:
                var from = verbEnd, to = end
                while from < to && bytes[from].isBlank { from += 1 }
                while to > from && bytes[to - 1].isBlank { to -= 1 }
                if from < to && bytes[from] == .quote { from += 1 }
                if to > from && bytes[to - 1] == .quote { to -= 1 }
                operation.errorText = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
            case .info, .connect, .sub, .unsub, .ping, .pong, .ok, .unknown:
                break
            }
            return .success(operation)
        }
    }

    private static let verbs: [(StaticString, NATSOperationKind)] = [
        ("MSG", .msg), ("HMSG", .hmsg), ("PUB", .pub), ("HPUB", .hpub), ("PING", .ping), ("PONG", .pong), ("+OK", .ok),
        ("SUB", .sub), ("UNSUB", .unsub), ("-ERR", .err), ("INFO", .info), ("CONNECT", .connect),
    ]

    /// The kind named by `verb`, compared without regard to ASCII case.
    private static func kind(ofVerb verb: UnsafeRawBufferPointer) -> NATSOperationKind {
        for (name, kind) in verbs where name.utf8CodeUnitCount == verb.count {
            let matches = name.withUTF8Buffer { name in
                zip(name, verb).allSatisfy { expected, byte in
                    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte) == expected
                }
            }
            if matches { return kind }
        }
        return .unknown
    }

    /// A size argument: 1 to 9 decimal digits, as nats-server accepts.
    private static func size(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard (1...9).contains(range.count) else { return nil }
        var value = 0
        for index in range {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// How many blank-separated arguments a line has, and where its last two are.
    private struct Arguments {
        var count = 0
        var last = 0..<0
        var beforeLast = 0..<0

        init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
            var index = start
            while true {
                while index < end && bytes[index].isBlank { index += 1 }
                guard index < end else { return }
                let tokenStart = index
                while index < end && !bytes[index].isBlank { index += 1 }
                beforeLast = last
                last = tokenStart..<index
                count += 1
            }
        }
    }
}

extension UInt8 {
    fileprivate static let cr = UInt8(ascii: "\r")
    fileprivate static let lf = UInt8(ascii: "\n")
    fileprivate static let quote = UInt8(ascii: "'")

    fileprivate var isBlank: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
}

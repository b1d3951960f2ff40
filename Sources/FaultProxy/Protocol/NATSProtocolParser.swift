import NIOCore
#if canImport(Glibc)
import Glibc
#endif

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
    /// state (boundaries, giving up) without building an item per operation and payload. Whole
    /// `MSG` and `PUB` operations, nearly every byte of a busy stream, take a fast path that reads
    /// what the boundaries and `feed`'s verdict depend on: the line end, the blanks between the
    /// arguments, the size and the payload's CR LF. Skimming and feeding the same bytes end in
    /// the same state, whether they gave up included.
    public mutating func skim(_ chunk: ByteBuffer) -> [NATSOperation] {
        var input = chunk
        var errors: [NATSOperation] = []
        while input.readableBytes > 0 && gaveUp == nil {
            if remainingPayload == 0 && partialLine == nil {
                let skimmed = input.withUnsafeReadableBytes { skimWholeMessages($0) }
                input.moveReaderIndex(forwardBy: skimmed)
                guard input.readableBytes > 0 else { break }
            }
            // Anything else, one line or one payload at a time, the way `feed` reads it.
            var items: [NATSStreamItem] = []
            if remainingPayload > 0 {
                readPayload(from: &input, into: &items, everything: false)
            } else {
                readLine(from: &input, into: &items, everything: false)
            }
            for case .operation(let op) in items { errors.append(op) }
        }
        return errors
    }

    /// Skips the whole `MSG` and `PUB` operations at the start of `bytes`; returns how many bytes they cover.
    ///
    /// Stops before anything else (another verb, a line or payload not complete in `bytes`, a size it
    /// cannot read), which the general path then reads.
    private mutating func skimWholeMessages(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = bytes.count
        var at = 0
        while at < count {
            let line = base + at
            guard let found = memchr(line, Int32(UInt8.lf), min(count - at, maxControlLine)) else { return at }
            var end = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - line
            let lineLength = end + 1
            if end > 0 && line[end - 1] == .cr { end -= 1 }
            // "MSG " or "PUB ", any case, a tab for the blank too.
            guard end > 4, line[3].isBlank else { return at }
            let verb = (UInt32(line[0]) << 16 | UInt32(line[1]) << 8 | UInt32(line[2])) | 0x20_2020
            guard verb == 0x6D_7367 || verb == 0x70_7562 else { return at }  // msg, pub
            // The size: the last argument, 1 to 9 digits after a blank.
            while end > 4 && line[end - 1].isBlank { end -= 1 }
            var digits = end
            var size = 0, scale = 1
            while digits > 4 && end - digits < 9 {
                let digit = line[digits - 1] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                size &+= Int(digit) &* scale
                scale &*= 10
                digits -= 1
            }
            // At least one argument before the size, one blank apart (anything else: the general path).
            guard digits < end, digits > 5, line[digits - 1].isBlank, !line[digits - 2].isBlank, !line[4].isBlank else { return at }
            // As many arguments as `feed` allows, each one blank apart: MSG subject sid [reply], PUB subject [reply].
            // Anything else goes to the general path, which gives up exactly where `feed` does.
            var blanks = 0, doubled = 0
            var index = 5
            while index < digits - 1 {
                let here = line[index].isBlank ? 1 : 0
                blanks &+= here
                doubled &+= here & (line[index - 1].isBlank ? 1 : 0)
                index &+= 1
            }
            guard doubled == 0, blanks <= (verb == 0x6D_7367 ? 2 : 1), blanks >= (verb == 0x6D_7367 ? 1 : 0) else { return at }
            // The payload and its CR LF, when they are here too.
            let payloadAt = at + lineLength
            guard payloadAt + size + 2 <= count, base[payloadAt + size] == .cr, base[payloadAt + size + 1] == .lf else {
                remainingPayload = size + 2
                return payloadAt
            }
            at = payloadAt + size + 2
        }
        return at
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
        var good = available
        let crOffset = remainingPayload - 2, lfOffset = remainingPayload - 1
        if crOffset >= 0 && crOffset < available && input.getInteger(at: start + crOffset, as: UInt8.self) != .cr {
            good = crOffset
        } else if lfOffset >= 0 && lfOffset < available && input.getInteger(at: start + lfOffset, as: UInt8.self) != .lf {
            good = lfOffset
        }
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
        let newline = input.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, let found = memchr(base, Int32(UInt8.lf), bytes.count) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
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
        if newline != nil && partialLine == nil && !everything {
            // The common case when skimming: a whole line in one read, kept only if it is an -ERR.
            let classified = input.withUnsafeReadableBytes { Self.classify(UnsafeRawBufferPointer(rebasing: $0[..<bytesOfLine])) }
            if let reason = classified.malformed {
                gaveUp = reason
                input.moveReaderIndex(forwardBy: bytesOfLine)
            } else {
                remainingPayload = classified.payloadLength
                let line = input.readSlice(length: bytesOfLine)!
                if classified.kind == .err {
                    items.append(.operation(NATSOperation(kind: .err, line: line, payloadLength: 0, errorText: classified.errorText)))
                }
            }
            return
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

    /// What a control line is: a concrete type, not a generic result, because it is made per line.
    private struct Classified {
        var kind: NATSOperationKind
        var payloadLength = 0
        var errorText: String?
        /// Why the line cannot be read, if it cannot.
        var malformed: String?
    }

    /// Classifies a complete control line and reads the sizes of its payload.
    private static func operation(in line: ByteBuffer) -> Result<NATSOperation, MalformedLine> {
        let c = line.withUnsafeReadableBytes { classify($0) }
        if let reason = c.malformed { return .failure(MalformedLine(reason: reason)) }
        return .success(NATSOperation(kind: c.kind, line: line, payloadLength: c.payloadLength, errorText: c.errorText))
    }

    /// The kind, payload length and error text of a complete control line's bytes.
    private static func classify(_ bytes: UnsafeRawBufferPointer) -> Classified {
        var end = bytes.count - 1
        if end > 0 && bytes[end - 1] == .cr { end -= 1 }
        var verbEnd = 0
        while verbEnd < end && !bytes[verbEnd].isBlank { verbEnd += 1 }
        let kind = kind(ofVerb: UnsafeRawBufferPointer(rebasing: bytes[..<verbEnd]))
        var operation = Classified(kind: kind)
        func malformed(_ problem: String) -> Classified {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<min(end, 128)]), as: UTF8.self)
            return Classified(kind: kind, malformed: "malformed control line '\(text)': \(problem)")
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
        return operation
    }

    /// The kind named by `verb`, compared without regard to ASCII case.
    ///
    /// The verb's bytes, upper-cased, are packed into one integer and switched on: this runs for
    /// every line of the stream.
    private static func kind(ofVerb verb: UnsafeRawBufferPointer) -> NATSOperationKind {
        guard (3...7).contains(verb.count) else { return .unknown }
        var packed: UInt64 = 0
        for byte in verb {
            packed = packed << 8 | UInt64(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
        }
        switch packed {
        case 0x4D_5347: return .msg  // MSG
        case 0x50_5542: return .pub  // PUB
        case 0x53_5542: return .sub  // SUB
        case 0x2B_4F4B: return .ok  // +OK
        case 0x484D_5347: return .hmsg  // HMSG
        case 0x4850_5542: return .hpub  // HPUB
        case 0x5049_4E47: return .ping  // PING
        case 0x504F_4E47: return .pong  // PONG
        case 0x2D45_5252: return .err  // -ERR
        case 0x494E_464F: return .info  // INFO
        case 0x55_4E53_5542: return .unsub  // UNSUB
        case 0x43_4F4E_4E45_4354: return .connect  // CONNECT
        default: return .unknown
        }
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
            // One pass over raw bytes: a token starts where a non-blank follows a blank.
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var index = start
            var tokenStart = -1
            while index < end {
                let blank = base[index] == 0x20 || base[index] == 0x09
                if !blank && tokenStart < 0 {
                    tokenStart = index
                } else if blank && tokenStart >= 0 {
                    beforeLast = last
                    last = tokenStart..<index
                    count += 1
                    tokenStart = -1
                }
                index += 1
            }
            if tokenStart >= 0 {
                beforeLast = last
                last = tokenStart..<end
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

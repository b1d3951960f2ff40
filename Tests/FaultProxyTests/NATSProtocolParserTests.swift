import NATSFaultProxy
import NIOCore
import Testing

/// An operation as the tests compare it: its control line and its payload reassembled.
private struct Parsed: Equatable, Sendable, CustomStringConvertible {
    var kind: NATSOperationKind
    var line: String
    var payloadLength = 0
    var errorText: String?
    var payload = ""

    var description: String { "\(kind) \(line.debugDescription) +\(payloadLength) \(payload.debugDescription)" }
}

/// A realistic stream of one direction and what the parser must make of it.
struct ProtocolStream: Sendable, CustomTestStringConvertible {
    var name: String
    fileprivate var expected: [Parsed]
    var text: String { expected.map { $0.line + $0.payload }.joined() }
    var testDescription: String { name }

    static let serverToClient = ProtocolStream(name: "server to client", expected: [
        Parsed(kind: .info, line: #"INFO {"server_id":"NCXYZ","version":"2.10.22","proto":1,"headers":true,"max_payload":1048576}"# + "\r\n"),
        Parsed(kind: .ok, line: "+OK\r\n"),
        Parsed(kind: .msg, line: "MSG orders.new 1 5\r\n", payloadLength: 7, payload: "hello\r\n"),
        Parsed(kind: .msg, line: "MSG orders.new 1 _INBOX.abc 11\r\n", payloadLength: 13, payload: "hello world\r\n"),
        Parsed(kind: .hmsg, line: "HMSG orders.new 2 _INBOX.r 18 23\r\n", payloadLength: 25, payload: "NATS/1.0\r\nA: B\r\n\r\nhello\r\n"),
        Parsed(kind: .ping, line: "PING\r\n"),
        Parsed(kind: .err, line: "-ERR 'Stale Connection'\r\n", errorText: "Stale Connection"),
    ])

    static let clientToServer = ProtocolStream(name: "client to server", expected: [
        Parsed(kind: .connect, line: #"CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"app"}"# + "\r\n"),
        Parsed(kind: .sub, line: "SUB orders.* 1\r\n"),
        Parsed(kind: .sub, line: "SUB jobs workers 2\r\n"),
        Parsed(kind: .unsub, line: "UNSUB 1 10\r\n"),
        Parsed(kind: .pub, line: "PUB orders.new 5\r\n", payloadLength: 7, payload: "hello\r\n"),
        Parsed(kind: .pub, line: "PUB svc _INBOX.x 0\r\n", payloadLength: 2, payload: "\r\n"),
        Parsed(kind: .hpub, line: "HPUB orders.new 18 23\r\n", payloadLength: 25, payload: "NATS/1.0\r\nA: B\r\n\r\nhello\r\n"),
        Parsed(kind: .hpub, line: "HPUB svc _INBOX.y 12 12\r\n", payloadLength: 14, payload: "NATS/1.0\r\n\r\n\r\n"),
        Parsed(kind: .ping, line: "PING\r\n"),
        Parsed(kind: .pong, line: "PONG\r\n"),
    ])

    static let both = [serverToClient, clientToServer]
}

/// Feeds `reads` to a parser, in order, and collects what it returns.
private func decode(_ reads: [String], parser: NATSProtocolParser = NATSProtocolParser()) throws -> (items: [NATSStreamItem], parser: NATSProtocolParser) {
    try decode(reads.map { ByteBuffer(string: $0) }, parser: parser)
}

private func decode(_ reads: [ByteBuffer], parser: NATSProtocolParser = NATSProtocolParser()) throws -> (items: [NATSStreamItem], parser: NATSProtocolParser) {
    var parser = parser
    var items: [NATSStreamItem] = []
    for read in reads { items += parser.feed(read) }
    return (items, parser)
}

/// `text` cut into reads of `size` bytes.
private func chunks(_ text: String, of size: Int) -> [String] {
    let bytes = Array(text.utf8)
    return stride(from: 0, to: bytes.count, by: size).map { String(decoding: bytes[$0..<min($0 + size, bytes.count)], as: UTF8.self) }
}

private func bytes(of item: NATSStreamItem) -> ByteBuffer {
    switch item {
    case .operation(let operation): operation.line
    case .payload(let bytes, _), .unparsed(let bytes): bytes
    }
}

/// The stream the items cover, in order.
private func text(of items: [NATSStreamItem]) -> String {
    items.map { String(buffer: bytes(of: $0)) }.joined()
}

/// The operations, each with its payload reassembled; checks that payload items frame each payload exactly.
private func operations(in items: [NATSStreamItem]) -> [Parsed] {
    var parsed: [Parsed] = []
    var remaining = 0
    for item in items {
        switch item {
        case .operation(let operation):
            #expect(remaining == 0, "operation \(operation.kind) inside a payload")
            remaining = operation.payloadLength
            parsed.append(Parsed(kind: operation.kind, line: String(buffer: operation.line), payloadLength: operation.payloadLength,
                                 errorText: operation.errorText))
        case .payload(let bytes, let endsOperation):
            #expect(bytes.readableBytes > 0 && bytes.readableBytes <= remaining, "payload item of \(bytes.readableBytes) bytes, \(remaining) expected")
            remaining -= bytes.readableBytes
            #expect(endsOperation == (remaining == 0))
            parsed[parsed.count - 1].payload += String(buffer: bytes)
        case .unparsed:
            remaining = 0
        }
    }
    return parsed
}

private func unparsed(in items: [NATSStreamItem]) -> String {
    items.map { if case .unparsed(let bytes) = $0 { String(buffer: bytes) } else { "" } }.joined()
}

private func address(of buffer: ByteBuffer) -> UInt {
    buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
}

struct NATSProtocolParserTests {
    @Test(arguments: ProtocolStream.both)
    func parsesAStreamReadAtOnce(stream: ProtocolStream) throws {
        let (items, parser) = try decode([stream.text])
        #expect(operations(in: items) == stream.expected)
        #expect(text(of: items) == stream.text)
        #expect(unparsed(in: items).isEmpty)
        #expect(parser.gaveUp == nil)
        #expect(parser.isAtBoundary)
    }

    @Test(arguments: ProtocolStream.both)
    func parsesAStreamSplitAnywhereIntoTwoReads(stream: ProtocolStream) throws {
        let bytes = Array(stream.text.utf8)
        for cut in 1..<bytes.count {
            let reads = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            let (items, parser) = try decode(reads)
            #expect(operations(in: items) == stream.expected, "cut at \(cut)")
            #expect(text(of: items) == stream.text, "cut at \(cut)")
            #expect(parser.gaveUp == nil)
        }
    }

    @Test(arguments: ProtocolStream.both)
    func parsesAStreamReadOneByteAtATime(stream: ProtocolStream) throws {
        let (items, parser) = try decode(chunks(stream.text, of: 1))
        #expect(operations(in: items) == stream.expected)
        #expect(text(of: items) == stream.text)
        #expect(parser.gaveUp == nil)
    }

    @Test(arguments: ["PING\r\n", "PONG\r\n", "-ERR 'x'\r\n", "MSG a 1 5\r\n", "PUB a 5\r\n"], ["PUB a", "MSG a 1", "HPUB a 0"])
    func payloadThatLooksLikeProtocolIsPayload(payload: String, prefix: String) throws {
        let line = "\(prefix) \(payload.utf8.count)\r\n"
        let expected = [
            Parsed(kind: line.hasPrefix("PUB") ? .pub : line.hasPrefix("MSG") ? .msg : .hpub, line: line,
                   payloadLength: payload.utf8.count + 2, payload: payload + "\r\n"),
            Parsed(kind: .ping, line: "PING\r\n"),
        ]
        let stream = expected.map { $0.line + $0.payload }.joined()
        for size in [stream.utf8.count, 1, 3] {
            let (items, _) = try decode(chunks(stream, of: size))
            #expect(operations(in: items) == expected, "reads of \(size) bytes")
            #expect(text(of: items) == stream)
        }
    }

    @Test(arguments: [
        ("HPUB a 3 10\r\n", 12), ("HPUB a reply 3 10\r\n", 12), ("HPUB a 0 0\r\n", 2),
        ("HMSG a 1 3 10\r\n", 12), ("HMSG a 1 reply 10 10\r\n", 12), ("HMSG a 1 reply 0 999999999\r\n", 1_000_000_001),
    ])
    func headerMessagesCarryTheirTotalSize(line: String, payloadLength: Int) throws {
        var parser = NATSProtocolParser()
        let items = parser.feed(ByteBuffer(string: line))
        #expect(operations(in: items).map(\.payloadLength) == [payloadLength])
        #expect(!parser.isAtBoundary)
    }

    @Test func zeroLengthPayloadIsItsCRLF() throws {
        let (items, parser) = try decode(["PUB a 0\r\n\r\nPING\r\n"])
        guard items.count == 3, case .operation(let pub) = items[0], case .payload(let payload, let ends) = items[1],
              case .operation(let ping) = items[2] else {
            Issue.record("unexpected items \(items)")
            return
        }
        #expect(pub.kind == .pub && pub.payloadLength == 2)
        #expect(String(buffer: payload) == "\r\n" && ends)
        #expect(ping.kind == .ping)
        #expect(parser.isAtBoundary)
    }

    @Test(arguments: [1, 7, 1000])
    func oversizedControlLineMakesTheParserGiveUp(readSize: Int) throws {
        let long = "SUB " + String(repeating: "x", count: 100) + " 1\r\n"
        let stream = "PING\r\n" + long + "PING\r\nPUB a 2\r\nhi\r\n"
        let (items, parser) = try decode(chunks(stream, of: readSize), parser: NATSProtocolParser(maxControlLine: 64))
        #expect(operations(in: items) == [Parsed(kind: .ping, line: "PING\r\n")])
        #expect(unparsed(in: items) == long + "PING\r\nPUB a 2\r\nhi\r\n")
        #expect(text(of: items) == stream)
        #expect(parser.gaveUp?.contains("64") == true)
        #expect(!parser.isAtBoundary)
    }

    @Test(arguments: [(64, true), (65, false)])
    func controlLineUpToTheLimitIsParsed(length: Int, parsed: Bool) throws {
        let line = "SUB " + String(repeating: "x", count: length - 8) + " 1\r\n"
        #expect(line.utf8.count == length)
        for size in [length, 10] {
            let (items, parser) = try decode(chunks(line, of: size), parser: NATSProtocolParser(maxControlLine: 64))
            #expect(operations(in: items) == (parsed ? [Parsed(kind: .sub, line: line)] : []), "reads of \(size) bytes")
            #expect((parser.gaveUp == nil) == parsed)
            #expect(text(of: items) == line)
        }
    }

    @Test(arguments: [
        ("INFO ", 10_000, true), ("info\t", 10_000, true), ("CONNECT ", 10_000, true),
        ("INFO ", 70_000, false), ("SUB ", 10_000, false), ("INFOX ", 10_000, false),
    ])
    func infoAndConnectLinesMayBeLongerThanOthers(verb: String, length: Int, parsed: Bool) throws {
        let line = verb + String(repeating: "x", count: length - verb.utf8.count - 2) + "\r\n"
        for size in [line.utf8.count, 4096, 3] {
            let (items, parser) = try decode(chunks(line + "PING\r\n", of: size))
            #expect(operations(in: items).map(\.kind) == (parsed ? [verb.hasPrefix("C") ? .connect : .info, .ping] : []), "reads of \(size) bytes")
            #expect(parser.gaveUp == nil ? parsed : !parsed)
            #expect(text(of: items) == line + "PING\r\n")
        }
    }

    @Test(arguments: [
        "PUB a x\r\n", "PUB a -1\r\n", "PUB a\r\n", "PUB a b c 1\r\n", "PUB a 1234567890\r\n",
        "HPUB a 10 5\r\n", "HPUB a x 5\r\n", "HPUB a 5\r\n", "MSG a 1\r\n", "MSG a 1 r 2x\r\n", "HMSG a 1 2\r\n",
    ])
    func malformedSizeMakesTheParserGiveUp(line: String) throws {
        let stream = "PING\r\n" + line + "hi\r\nPING\r\n"
        for size in [stream.utf8.count, 1] {
            let (items, parser) = try decode(chunks(stream, of: size))
            #expect(operations(in: items).map(\.kind) == [.ping])
            #expect(unparsed(in: items) == line + "hi\r\nPING\r\n")
            #expect(text(of: items) == stream)
            #expect(parser.gaveUp != nil)
        }
    }

    @Test func bytesAfterGivingUpStayUnparsed() throws {
        let (items, _) = try decode(["PUB a x\r\n", "PING\r\n", "MSG a 1 2\r\nhi\r\n"])
        #expect(operations(in: items).isEmpty)
        #expect(unparsed(in: items) == "PUB a x\r\nPING\r\nMSG a 1 2\r\nhi\r\n")
    }

    @Test func payloadNotEndingInCRLFMakesTheParserGiveUp() throws {
        let stream = "PUB a 2\r\nhiX\r\nPING\r\n"
        for size in [stream.utf8.count, 1] {
            let (items, parser) = try decode(chunks(stream, of: size))
            #expect(operations(in: items) == [Parsed(kind: .pub, line: "PUB a 2\r\n", payloadLength: 4, payload: "hi")])
            #expect(unparsed(in: items) == "X\r\nPING\r\n")
            #expect(text(of: items) == stream)
            #expect(parser.gaveUp != nil)
        }
    }

    @Test func verbsAreCaseInsensitive() throws {
        let stream = "ping\r\nPong\r\npUb a 2\r\nhi\r\n+ok\r\n-err 'x'\r\ninfo {}\r\nConnect {}\r\nsub a 1\r\nunsub 1\r\n"
            + "msg a 1 0\r\n\r\nhmsg a 1 0 0\r\n\r\nhpub a 0 0\r\n\r\n"
        let (items, parser) = try decode([stream])
        #expect(operations(in: items).map(\.kind) == [.ping, .pong, .pub, .ok, .err, .info, .connect, .sub, .unsub, .msg, .hmsg, .hpub])
        #expect(parser.gaveUp == nil)
    }

    @Test func blanksAroundArgumentsAndBareLineFeeds() throws {
        let stream = "PING  \r\n+OK \t\r\nPUB\ta\t\t2 \r\nhi\r\n-ERR   'Stale Connection'  \r\nPONG\n-ERR Authorization Violation\r\n"
        let (items, parser) = try decode(chunks(stream, of: 5))
        #expect(operations(in: items) == [
            Parsed(kind: .ping, line: "PING  \r\n"),
            Parsed(kind: .ok, line: "+OK \t\r\n"),
            Parsed(kind: .pub, line: "PUB\ta\t\t2 \r\n", payloadLength: 4, payload: "hi\r\n"),
            Parsed(kind: .err, line: "-ERR   'Stale Connection'  \r\n", errorText: "Stale Connection"),
            Parsed(kind: .pong, line: "PONG\n"),
            Parsed(kind: .err, line: "-ERR Authorization Violation\r\n", errorText: "Authorization Violation"),
        ])
        #expect(parser.gaveUp == nil)
    }

    @Test func unknownLinesPassAndParsingGoesOn() throws {
        let (items, parser) = try decode(["FOO bar\r\n\r\nPINGX\r\n PING\r\nPING\r\n"])
        #expect(operations(in: items).map(\.kind) == [.unknown, .unknown, .unknown, .unknown, .ping])
        #expect(operations(in: items).allSatisfy { $0.payloadLength == 0 })
        #expect(parser.gaveUp == nil)
    }

    @Test func boundaryIsBetweenOperationsOnly() {
        var parser = NATSProtocolParser()
        #expect(parser.isAtBoundary)
        let steps: [(String, Bool)] = [
            ("PING\r\n", true), ("PUB a 5\r\n", false), ("hel", false), ("lo\r", false), ("\n", true),
            ("PI", false), ("NG\r", false), ("\n", true), ("MSG a 1 1\r\nx\r\nPONG\r\n", true), ("PUB a x\r\n", false), ("PING\r\n", false),
        ]
        for (read, atBoundary) in steps {
            _ = parser.feed(ByteBuffer(string: read))
            #expect(parser.isAtBoundary == atBoundary, "after \(read.debugDescription)")
        }
    }

    @Test func payloadsAndWholeLinesAreSlicesOfTheInput() throws {
        let line = "PUB big 100000\r\n"
        var payload = ByteBuffer(repeating: UInt8(ascii: "p"), count: 100_000)
        payload.writeString("\r\n")
        var input = ByteBuffer(string: line)
        input.writeImmutableBuffer(payload)
        let (items, _) = try decode([input])
        guard items.count == 2, case .operation(let operation) = items[0], case .payload(let bytes, true) = items[1] else {
            Issue.record("unexpected items \(items.count)")
            return
        }
        #expect(bytes == payload)
        #expect(address(of: operation.line) == address(of: input))
        #expect(address(of: bytes) == address(of: input) + UInt(line.utf8.count))
    }

    @Test func aLineSplitAcrossReadsIsCopiedButItsPayloadIsNot() throws {
        let first = ByteBuffer(string: "PUB a")
        let second = ByteBuffer(string: " 3\r\nabc\r\n")
        let (items, _) = try decode([first, second])
        guard items.count == 2, case .operation(let operation) = items[0], case .payload(let bytes, true) = items[1] else {
            Issue.record("unexpected items \(items.count)")
            return
        }
        #expect(String(buffer: operation.line) == "PUB a 3\r\n")
        #expect(address(of: operation.line) != address(of: first) && address(of: operation.line) != address(of: second))
        #expect(address(of: bytes) == address(of: second) + 4)
    }
}

struct NATSProtocolSkimTests {
    static let stream = "INFO {}\r\nMSG a 1 12\r\n-ERR 'x'\r\nPI\r\n-ERR 'Stale Connection'\r\nPING\r\n"

    /// Back-to-back messages, as a busy link carries them: the fast path of `skim`, and its hand-overs to the general one.
    static let messages = "PUB a 5\r\nhello\r\nmsg b 1 _INBOX.x 3\r\n-ER\r\nMSG\tc 2 0\r\n\r\nMSG d  1 2\r\nok\r\n"
        + "HMSG e 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n-ERR 'late'\r\nPUB f 2 \r\nxy\r\n"

    /// Skims `text` in two reads split at `split`, checking after each that a feeding parser agrees on the boundary;
    /// returns the error texts.
    private func skimErrors(_ text: String, split: Int) -> [String] {
        let bytes = Array(text.utf8)
        var skimmer = NATSProtocolParser(), feeder = NATSProtocolParser()
        var errors: [String] = []
        for part in [bytes[..<split], bytes[split...]] {
            let chunk = ByteBuffer(bytes: Array(part))
            errors += skimmer.skim(chunk).map { $0.errorText ?? "?" }
            _ = feeder.feed(chunk)
            #expect(skimmer.isAtBoundary == feeder.isAtBoundary)
        }
        #expect(skimmer.isAtBoundary && skimmer.gaveUp == nil)
        return errors
    }

    @Test(arguments: 0...stream.utf8.count)
    func skimReturnsOnlyErrorsAndKeepsTheSameState(split: Int) {
        // The payload of the MSG holds "-ERR 'x'\r\nPI": data, not an error.
        #expect(skimErrors(Self.stream, split: split) == ["Stale Connection"])
    }

    @Test(arguments: 0...messages.utf8.count)
    func skimKeepsItsPlaceThroughBackToBackMessages(split: Int) {
        #expect(skimErrors(Self.messages, split: split) == ["late"])
    }

    /// Lines with too many or too few arguments before a size that fits: `feed` gives up on them, and so must `skim`
    /// (found by the protocol fuzzer: a MSG of 7 arguments whose payload happened to end in CR LF).
    @Test(arguments: ["MSG svc 2 _INBOX.a _INBOX.b 3 4 4\r\nabcd\r\n", "MSG a 4\r\nabcd\r\n", "PUB a b c 4\r\nabcd\r\n",
                      "PUB 4\r\nabcd\r\n"])
    func skimGivesUpWhereFeedDoesOnAWrongArgumentCount(line: String) {
        var skimmer = NATSProtocolParser(), feeder = NATSProtocolParser()
        _ = skimmer.skim(ByteBuffer(string: line))
        _ = feeder.feed(ByteBuffer(string: line))
        #expect(feeder.gaveUp?.contains("arguments") == true, "\(feeder.gaveUp ?? "-")")
        #expect(skimmer.gaveUp == feeder.gaveUp)
        #expect(skimmer.isAtBoundary == feeder.isAtBoundary)
    }

    @Test func skimGivesUpOnAPayloadWithoutItsLineEnd() {
        var parser = NATSProtocolParser()
        _ = parser.skim(ByteBuffer(string: "MSG a 1 2\r\nabcd\r\n"))
        #expect(parser.gaveUp?.contains("0x63") == true)
    }
}

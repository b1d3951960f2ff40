import FuzzSupport
import NATSFaultProxy
import NIOCore

/// The fuzz target: libFuzzer runs `fuzzProtocol` on each input.
@main enum FuzzProtocol {
    static func main() { runFuzzer(fuzzProtocol) }
}

/// One input: any bytes as one direction of a NATS connection, read in the reads the input's trailer makes.
///
/// Properties, with nats-server's limits and with small ones: nothing crashes; the items cover the
/// bytes read, in order, leaving out at most an unfinished control line; parsing the stream whole
/// and in reads gives the same operations, payloads, unparsed bytes and verdict; skimming gives
/// the same -ERR operations as parsing.
func fuzzProtocol(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    for limits in [(4096, 64 * 1024), (24, 48)] {
        let whole = Parse(input.stream, [input.stream[...]], limits)
        let split = Parse(input.stream, input.reads, limits)
        require(whole.parts == split.parts, "whole and split differ (limits \(limits)):\n\(whole.parts)\n\(split.parts)")
        require(whole.gaveUp == split.gaveUp && whole.atBoundary == split.atBoundary,
                "whole and split end differently: \(whole.gaveUp ?? "parsing") / \(split.gaveUp ?? "parsing")")
        let errors = whole.parts.compactMap { part -> Part? in if case .operation(.err, _, _, _) = part { part } else { nil } }
        require(whole.skimmed == errors && split.skimmed == errors, "skimming differs from parsing: \(whole.skimmed) \(split.skimmed) \(errors)")
    }
    return 0
}

/// An item as compared: bytes as arrays, the pieces of one payload joined, adjacent unparsed bytes joined.
private enum Part: Equatable {
    case operation(NATSOperationKind, line: [UInt8], payloadLength: Int, errorText: String?)
    case payload([UInt8], ended: Bool)
    case unparsed([UInt8])
}

/// A stream fed to one parser with `feed` and to another with `skim`, read by read.
private struct Parse {
    var parts: [Part] = []
    var skimmed: [Part] = []
    var gaveUp: String?
    var atBoundary = true

    init(_ stream: [UInt8], _ reads: [ArraySlice<UInt8>], _ limits: (Int, Int)) {
        var parser = NATSProtocolParser(maxControlLine: limits.0, maxHandshakeLine: limits.1)
        var skimmer = parser
        var covered: [UInt8] = []
        for read in reads {
            let buffer = ByteBuffer(bytes: read)
            for item in parser.feed(buffer) { add(item, covering: &covered) }
            skimmed += skimmer.skim(buffer).map(Self.part)
        }
        gaveUp = parser.gaveUp
        atBoundary = parser.isAtBoundary
        require(skimmer.gaveUp == parser.gaveUp && skimmer.isAtBoundary == parser.isAtBoundary, "skim and feed end differently")
        let rest = stream[covered.count...]
        require(stream.starts(with: covered), "the items are not the stream's bytes in order")
        require(rest.isEmpty || (gaveUp == nil && !rest.contains(UInt8(ascii: "\n")) && rest.count <= limits.1),
                "\(rest.count) bytes left out that are no unfinished control line")
    }

    private static func part(_ operation: NATSOperation) -> Part {
        .operation(operation.kind, line: Array(operation.line.readableBytesView), payloadLength: operation.payloadLength, errorText: operation.errorText)
    }

    private mutating func add(_ item: NATSStreamItem, covering covered: inout [UInt8]) {
        switch item {
        case .operation(let operation):
            covered += operation.line.readableBytesView
            parts.append(Self.part(operation))
        case .payload(let bytes, let ended):
            require(bytes.readableBytes > 0, "an empty payload item")
            covered += bytes.readableBytesView
            if case .payload(let before, false) = parts.last {
                parts[parts.count - 1] = .payload(before + bytes.readableBytesView, ended: ended)
            } else {
                parts.append(.payload(Array(bytes.readableBytesView), ended: ended))
            }
        case .unparsed(let bytes):
            require(bytes.readableBytes > 0, "an empty unparsed item")
            covered += bytes.readableBytesView
            if case .unparsed(let before) = parts.last {
                parts[parts.count - 1] = .unparsed(before + bytes.readableBytesView)
            } else {
                parts.append(.unparsed(Array(bytes.readableBytesView)))
            }
        }
    }
}

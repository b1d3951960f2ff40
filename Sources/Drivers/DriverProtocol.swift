public import NATSFaultTimeline
import Foundation

/// A JSON value for driver commands.
public enum JSONValue: Sendable, Hashable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

/// One line a driver writes on stdout (DRIVER-PROTOCOL.md v1): every field any event may carry.
struct DriverLine: Decodable {
    var event: String
    var monoNs: Int64?
    var id: Int?
    var ok: Bool?
    var pending: Bool?
    var error: ClientError?
    var url: String?
    var urls: [String]?
    var sub: String?
    var subject: String?
    var stream: String?
    var seq: Int?
    var from: Int?
    var to: Int?
    var latencyNs: Int64?
    var callNs: Int64?
    var text: String?
    var `protocol`: Int?
    var library: String?
    var libraryVersion: String?
    var capabilities: [String]?
    var jsStream: String?
    var jsSeq: Int?
    var jsSeqFrom: Int?
    var consumerSeq: Int?
    var delivered: Int?
    var duplicate: Bool?

    /// What a `hello` line says; nil for any other line.
    var hello: DriverHello? {
        guard event == "hello" else { return nil }
        return DriverHello(library: library ?? "?", libraryVersion: libraryVersion ?? "?", capabilities: capabilities ?? [])
    }

    /// The non-blank lines of `bytes`, without surrounding spaces, tabs and carriage returns.
    static func split(_ bytes: ArraySlice<UInt8>) -> [String] {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) }) else { return nil }
            return String(decoding: line[first...last], as: UTF8.self)
        }
    }

    /// One line decoded, or nil when it is no JSON object with an `event`.
    static func decode(_ line: String) -> DriverLine? {
        try? decoder.decode(DriverLine.self, from: Data(line.utf8))
    }

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    /// The line as a timeline event of `client`, stamped now when the driver gave no time.
    func recorded(client: String) -> RecordedEvent {
        var e = RecordedEvent(monoNs: monoNs ?? MonotonicClock.nowNs(), client: client, event: EventName(rawValue: event), error: error, text: text)
        e.url = url
        e.urls = urls
        e.sub = sub
        e.subject = subject
        e.stream = stream
        e.seq = seq
        e.from = from
        e.to = to
        e.ok = ok
        e.latencyNs = latencyNs
        e.callNs = callNs
        e.jsStream = jsStream
        e.jsSeq = jsSeq
        e.jsSeqFrom = jsSeqFrom
        e.consumerSeq = consumerSeq
        e.delivered = delivered
        e.duplicate = duplicate
        return e
    }
}

/// What a driver says about itself in its `hello`.
public struct DriverHello: Sendable, Hashable, Codable {
    public var library: String
    public var libraryVersion: String
    public var capabilities: [String]
}

/// A driver's answer to one command.
public struct DriverAck: Sendable, Hashable {
    public var ok: Bool
    public var pending: Bool
    public var error: ClientError?
}

/// Why a driver could not be used; each case is a client failure, never a harness crash.
public enum DriverError: Error, Sendable, CustomStringConvertible {
    /// No driver of that name is installed.
    case notInstalled(name: String, hint: String)
    /// The process could not be started.
    case cannotStart(name: String, reason: String)
    /// It did not say hello in time, or said something else first.
    case noHello(client: String, stderrTail: String)
    /// It speaks a protocol version natsfault does not.
    case unsupportedProtocol(client: String, version: Int)
    /// It exited or stopped answering while a command was outstanding.
    case stoppedAnswering(client: String, op: String, stderrTail: String)

    public var description: String {
        switch self {
        case .notInstalled(let name, let hint): "driver \"\(name)\" is not installed; \(hint)"
        case .cannotStart(let name, let reason): "cannot start driver \"\(name)\": \(reason)"
        case .noHello(let client, let tail): "the driver of client \(client) did not say hello; its stderr ends:\n\(tail)"
        case .unsupportedProtocol(let client, let v): "the driver of client \(client) speaks protocol \(v); natsfault speaks protocol 1"
        case .stoppedAnswering(let client, let op, let tail): "the driver of client \(client) stopped answering (during \(op)); its stderr ends:\n\(tail)"
        }
    }
}

public import NATSFaultScenario

/// An error as a driver reports it: a kind from the shared vocabulary plus the library's own text.
public struct ClientError: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The shared error kind (DRIVER-PROTOCOL.md); kept as text so an unknown kind from a driver is not lost.
    public var kind: String
    public var message: String?
    public var native: String?

    public init(kind: String, message: String? = nil, native: String? = nil) {
        self.kind = kind
        self.message = message
        self.native = native
    }

    /// `timeout "nats: timeout" [NATS_TIMEOUT]`: the kind, then the library's message and native code where they add
    /// something (a message that only repeats the kind, or a native code that repeats either, is left out).
    public var description: String {
        var text = kind
        if let message, !message.isEmpty, message.lowercased() != kind.lowercased() { text += " \"\(message)\"" }
        if let native, !native.isEmpty, ![kind, message ?? ""].map({ $0.lowercased() }).contains(native.lowercased()) { text += " [\(native)]" }
        return text
    }
}

/// The name of a recorded event: one a driver writes (DRIVER-PROTOCOL.md), or one of natsfault's own.
///
/// Written in JSON as the plain name. Drivers may send names natsfault does not know; they are kept as they came.
public struct EventName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The event a client event kind names.
    public init(_ kind: ClientEventKind) { rawValue = kind.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// The client event it is, if it is one.
    public var clientEvent: ClientEventKind? { ClientEventKind(rawValue: rawValue) }

    // natsfault's own
    /// A timeline step began (`seq`: its number).
    public static let step = EventName(rawValue: "step")
    /// A fault was injected (`fault`: its name).
    public static let fault = EventName(rawValue: "fault")
    /// A lasting fault was healed.
    public static let heal = EventName(rawValue: "heal")
    /// An expectation was decided (`ok`: met or not).
    public static let expectation = EventName(rawValue: "expectation")
    /// The timeline is over; what follows is teardown.
    public static let teardown = EventName(rawValue: "teardown")
    /// A note: a failed operation, unparsable driver output, the proxy giving up parsing.
    public static let log = EventName(rawValue: "log")
    public static let serverReady = EventName(rawValue: "server_ready")
    public static let serverExited = EventName(rawValue: "server_exited")
    public static let clusterReady = EventName(rawValue: "cluster_ready")
    /// What a micro service's discovery subjects showed, when it changed.
    public static let serviceProbe = EventName(rawValue: "service_probe")
    /// natsfault stopped a driver or an application that broke its output limits (`text`: why): the run ends.
    public static let outputLimit = EventName(rawValue: "output_limit")
    /// A connect the driver kept working on past its window (it was still reporting): the timeline went on without it.
    public static let connectPending = EventName(rawValue: "connect_pending")
    public static let pingDropped = EventName(rawValue: "ping_dropped")
    public static let pongDropped = EventName(rawValue: "pong_dropped")

    // traffic, from drivers (and natsfault's own probes)
    public static let message = EventName(rawValue: "message")
    public static let published = EventName(rawValue: "published")
    public static let requestResult = EventName(rawValue: "request_result")
    public static let jsAck = EventName(.jsAck)
    public static let jsPublishFailed = EventName(.jsPublishFailed)
    public static let jsMessage = EventName(.jsMessage)
    public static let jsConsumerError = EventName(.jsConsumerError)
    /// natsfault read a message back from a JetStream stream at the end (`js_stream`, `js_seq`, and the payload's
    /// `stream` and `seq`).
    public static let jsStored = EventName(rawValue: "js_stored")
    /// What one server's replica of a JetStream stream held at the end (`messages`, `from`…`to`).
    public static let jsStreamState = EventName(rawValue: "js_stream_state")
    /// A durable consumer's acknowledgement floor at the end (`js_seq`: every stream sequence up to it is acknowledged),
    /// for the `js_consume` of `client` named `sub`.
    public static let jsConsumerState = EventName(rawValue: "js_consumer_state")
    /// natsfault compared `messages` sequences of a stream on this server's replica with the same sequences on the others.
    public static let jsReplicaSample = EventName(rawValue: "js_replica_sample")
    /// This server's replica holds other contents at `js_seq` than the first replica compared (`text`: what differs).
    public static let jsReplicaDiffers = EventName(rawValue: "js_replica_differs")

    // client events
    public static let connected = EventName(.connected)
    public static let disconnected = EventName(.disconnected)
    public static let reconnected = EventName(.reconnected)
    public static let closed = EventName(.closed)
    public static let exited = EventName(.exited)
    public static let output = EventName(.output)
    public static let serverErr = EventName(.serverErr)
    public static let connectFailed = EventName(.connectFailed)
}

/// One thing that happened during a scenario: a client event, a server's state change, a fault, a step.
///
/// Flat on purpose: it is what `--json` writes, one object per event, for tooling.
public struct RecordedEvent: Codable, Sendable, Hashable {
    /// CLOCK_MONOTONIC in nanoseconds when it happened (shared by every process on the machine).
    public var monoNs: Int64
    /// The client it concerns, if any.
    public var client: String?
    /// The server it concerns, if any.
    public var server: String?
    /// The event: a driver event name (`connected`, `message`, …), or a harness one
    /// (`fault`, `step`, `server_ready`, `server_exited`, `exited`, `expectation`).
    public var event: EventName
    public var error: ClientError?
    public var url: String?
    public var urls: [String]?
    public var sub: String?
    public var subject: String?
    public var stream: String?
    public var seq: Int?
    public var from: Int?
    public var to: Int?
    public var ok: Bool?
    public var latencyNs: Int64?
    /// For `published` events: how long the library's publish call took, from the driver sending the message to its
    /// outcome (for a range, the longest call in it).
    public var callNs: Int64?
    /// For `service_probe` events: the instances that answered `$SRV.PING.<service>`.
    public var instances: Int?
    /// For `fault` events: the fault's name as scenario files write it (`kill`, `restart`, `kill_client`, …).
    public var fault: String?
    /// Free text: a fault's description, a step, an exit status, a log line.
    public var text: String?
    /// For a proxied client's event: the text of the `-ERR` its server sent just before on its link (`WireErrors`).
    public var wireError: String?
    // JetStream (DRIVER-PROTOCOL v1.1, and natsfault's read-back of streams)
    /// The JetStream stream of a `js_ack`, `js_message`, `js_stored` or `js_stream_state`.
    public var jsStream: String?
    /// The stream sequence of a `js_ack`, `js_message` or `js_stored`.
    public var jsSeq: Int?
    /// For a `js_ack` range (`from`…`to`): the stream sequence of `from`; the others follow in step.
    public var jsSeqFrom: Int?
    /// For a `js_message`: the consumer sequence, and how many times the message has been delivered.
    public var consumerSeq: Int?
    public var delivered: Int?
    /// For a `js_ack`: the stream already held a message with this msg id.
    public var duplicate: Bool?
    /// For a `js_stream_state`: how many messages the server's replica of the stream holds (`from`, `to`: its first
    /// and last sequence).
    public var messages: Int?

    public init(monoNs: Int64, client: String? = nil, server: String? = nil, event: EventName, error: ClientError? = nil, text: String? = nil) {
        self.monoNs = monoNs
        self.client = client
        self.server = server
        self.event = event
        self.error = error
        self.text = text
    }

    /// Whether this event matches an expectation's client, event and error kind.
    public func matches(_ match: EventMatch) -> Bool {
        client == match.client && event == EventName(match.event)
            && (match.error.map { error?.kind == $0.rawValue } ?? true)
            && (match.serverURL.map { url == $0 } ?? true)
            && (match.pattern.map { pattern in (try? Regex(pattern)).map { (text ?? "").contains($0) } ?? false } ?? true)
            && (match.wireError.map { wanted in wireError?.lowercased().contains(wanted.lowercased()) ?? false } ?? true)
    }

    /// Its error as reports show it, with what the server said on the wire: `protocol_error "…" [NATS_PROTOCOL_ERROR];
    /// the server said 'maximum connections exceeded'`.
    public var errorDescription: String? {
        let said = wireError.map { "the server said '\($0)'" }
        guard let error else { return said }
        return said.map { "\(error); \($0)" } ?? error.description
    }

    /// The sequence numbers this event covers: `seq`, or the range `from…to`.
    public var seqs: ClosedRange<Int>? {
        if let seq { return seq...seq }
        if let from, let to, from <= to { return from...to }
        return nil
    }

    /// For a `js_ack`: each publish it acknowledges, with its stream sequence (a range's run in step from `js_seq_from`);
    /// empty for any other event.
    public var acknowledged: [(seq: Int, jsSeq: Int)] {
        guard event == .jsAck, let seqs, let first = jsSeqFrom ?? jsSeq else { return [] }
        return seqs.enumerated().map { ($0.element, first + $0.offset) }
    }

    /// Whether it is a high-volume data event, left out of short timelines in reports.
    public var isTraffic: Bool { [.message, .published, .requestResult, .jsAck, .jsPublishFailed, .jsMessage, .jsStored].contains(event) }

    /// For an event that reports publishes (`published`, `js_ack`, `js_publish_failed`): whether they succeeded; nil
    /// for any other event.
    public var publishSucceeded: Bool? {
        switch event {
        case .published: ok == true
        case .jsAck: true
        case .jsPublishFailed: false
        default: nil
        }
    }
}

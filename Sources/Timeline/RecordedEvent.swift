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

    public var description: String {
        var text = kind
        if let message, !message.isEmpty { text += " \"\(message)\"" }
        if let native, !native.isEmpty { text += " [\(native)]" }
        return text
    }
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
    public var event: String
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
    /// For `service_probe` events: the instances that answered `$SRV.PING.<service>`.
    public var instances: Int?
    /// For `fault` events: the fault's name as scenario files write it (`kill`, `restart`, `kill_client`, …).
    public var fault: String?
    /// Free text: a fault's description, a step, an exit status, a log line.
    public var text: String?

    public init(monoNs: Int64, client: String? = nil, server: String? = nil, event: String, error: ClientError? = nil, text: String? = nil) {
        self.monoNs = monoNs
        self.client = client
        self.server = server
        self.event = event
        self.error = error
        self.text = text
    }

    /// Whether this event matches an expectation's client, event and error kind.
    public func matches(_ match: EventMatch) -> Bool {
        client == match.client && event == match.event.rawValue
            && (match.error.map { error?.kind == $0.rawValue } ?? true)
            && (match.serverURL.map { url == $0 } ?? true)
            && (match.pattern.map { pattern in (try? Regex(pattern)).map { (text ?? "").contains($0) } ?? false } ?? true)
    }

    /// The sequence numbers this event covers: `seq`, or the range `from…to`.
    public var seqs: ClosedRange<Int>? {
        if let seq { return seq...seq }
        if let from, let to, from <= to { return from...to }
        return nil
    }

    /// Whether it is a high-volume data event, left out of short timelines in reports.
    public var isTraffic: Bool { event == "message" || event == "published" || event == "request_result" }
}

import Foundation
public import NATSFaultScenario

/// One command of DRIVER-PROTOCOL v1 (harness → driver), which encodes itself to the JSON line a driver reads.
public enum DriverOp: Sendable, Hashable {
    /// Connect to `servers` (URLs) as `name`; options left nil are the library's defaults.
    case connect(servers: [String], name: String, options: ConnectOptions)
    /// Subscribe to `subject`; `sub` names the subscription in `message` events.
    case subscribe(subject: String, sub: String, queue: String?)
    /// Answer every request on `subject`.
    case reply(subject: String, queue: String?)
    /// Publish `count` numbered messages as stream `stream`.
    case publish(subject: String, stream: String, count: Int, ratePerSecond: Double?, payloadBytes: Int?)
    /// Send `count` requests as stream `stream`, each allowed `timeout`, `interval` apart.
    case request(subject: String, stream: String, count: Int, timeout: Duration, interval: Duration?)
    /// Offer an ADR-32 micro service.
    case service(name: String, version: String, endpoints: [ServiceEndpoint])
    case flush(timeout: Duration)
    case drain
    case close
    /// Ask for a `stats` event.
    case stats
    /// Ask the driver to exit (after acking).
    case exit
    /// v1.1: publish `count` numbered messages to JetStream, each waiting for its acknowledgement.
    case jsPublish(JSPublish)
    /// v1.1: consume an existing durable consumer in the background.
    case jsConsume(JSConsume)
    /// v1.1: stop the `js_consume` named `sub`.
    case jsStop(sub: String)
    /// Any op with any fields, as given: for checking how a driver answers what it does not know (conformance).
    case raw(op: String, fields: [String: JSONValue])

    /// The protocol's name of the op: `connect`, `subscribe`, …
    public var name: String {
        switch self {
        case .connect: "connect"
        case .subscribe: "subscribe"
        case .reply: "reply"
        case .publish: "publish"
        case .request: "request"
        case .service: "service"
        case .flush: "flush"
        case .drain: "drain"
        case .close: "close"
        case .stats: "stats"
        case .exit: "exit"
        case .jsPublish: "js_publish"
        case .jsConsume: "js_consume"
        case .jsStop: "js_stop"
        case .raw(let op, _): op
        }
    }

    /// The command as the line a driver reads: one JSON object with `id`, `op` and the op's fields (keys sorted),
    /// ending with a newline.
    public func line(id: Int) -> [UInt8] {
        var message = fields
        message["id"] = .int(id)
        message["op"] = .string(name)
        var line = Array((try? Self.encoder.encode(message)) ?? Data())
        line.append(UInt8(ascii: "\n"))
        return line
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The op's fields, named as DRIVER-PROTOCOL.md names them.
    var fields: [String: JSONValue] {
        switch self {
        case .connect(let servers, let name, let options):
            return ["servers": .array(servers.map { .string($0) }), "name": .string(name), "options": .object(Self.fields(of: options))]
        case .subscribe(let subject, let sub, let queue):
            var f: [String: JSONValue] = ["subject": .string(subject), "sub": .string(sub)]
            if let queue { f["queue"] = .string(queue) }
            return f
        case .reply(let subject, let queue):
            var f: [String: JSONValue] = ["subject": .string(subject)]
            if let queue { f["queue"] = .string(queue) }
            return f
        case .publish(let subject, let stream, let count, let rate, let payloadBytes):
            var f: [String: JSONValue] = ["subject": .string(subject), "stream": .string(stream), "count": .int(count)]
            if let rate { f["rate_per_s"] = .double(rate) }
            if let payloadBytes { f["payload_bytes"] = .int(payloadBytes) }
            return f
        case .request(let subject, let stream, let count, let timeout, let interval):
            var f: [String: JSONValue] = ["subject": .string(subject), "stream": .string(stream), "count": .int(count),
                                          "timeout_ms": .int(Int(timeout.milliseconds))]
            if let interval { f["interval_ms"] = .int(Int(interval.milliseconds)) }
            return f
        case .service(let name, let version, let endpoints):
            let list: [JSONValue] = endpoints.map { e in
                var f: [String: JSONValue] = ["name": .string(e.name), "subject": .string(e.subject)]
                if let queue = e.queue { f["queue"] = .string(queue) }
                return .object(f)
            }
            return ["name": .string(name), "version": .string(version), "endpoints": .array(list)]
        case .flush(let timeout):
            return ["timeout_ms": .int(Int(timeout.milliseconds))]
        case .drain, .close, .stats, .exit:
            return [:]
        case .jsPublish(let p):
            var f: [String: JSONValue] = ["subject": .string(p.subject), "stream": .string(p.stream), "count": .int(p.count)]
            if let rate = p.ratePerSecond { f["rate_per_s"] = .double(rate) }
            if let bytes = p.payloadBytes { f["payload_bytes"] = .int(bytes) }
            if let timeout = p.ackTimeout { f["ack_timeout_ms"] = .int(Int(timeout.milliseconds)) }
            if p.msgID { f["msg_id"] = .bool(true) }
            if let js = p.jsStream { f["js_stream"] = .string(js) }
            return f
        case .jsConsume(let c):
            var f: [String: JSONValue] = ["sub": .string(c.sub), "js_stream": .string(c.jsStream), "durable": .string(c.durable),
                                          "mode": .string(c.mode.rawValue), "ack": .bool(c.ack)]
            if let batch = c.batch { f["batch"] = .int(batch) }
            if let timeout = c.fetchTimeout { f["fetch_timeout_ms"] = .int(Int(timeout.milliseconds)) }
            return f
        case .jsStop(let sub):
            return ["sub": .string(sub)]
        case .raw(_, let fields):
            return fields
        }
    }

    private static func fields(of o: ConnectOptions) -> [String: JSONValue] {
        var options: [String: JSONValue] = [:]
        if let v = o.allowReconnect { options["allow_reconnect"] = .bool(v) }
        if let v = o.maxReconnects { options["max_reconnects"] = .int(v) }
        if let v = o.reconnectWait { options["reconnect_wait_ms"] = .int(Int(v.milliseconds)) }
        if let v = o.reconnectJitter { options["reconnect_jitter_ms"] = .int(Int(v.milliseconds)) }
        if let v = o.reconnectBufferBytes { options["reconnect_buffer_bytes"] = .int(v) }
        if let v = o.pingInterval { options["ping_interval_ms"] = .int(Int(v.milliseconds)) }
        if let v = o.maxPingsOut { options["max_pings_out"] = .int(v) }
        if let v = o.connectTimeout { options["connect_timeout_ms"] = .int(Int(v.milliseconds)) }
        if let v = o.retryOnFailedConnect { options["retry_on_failed_connect"] = .bool(v) }
        if let v = o.noRandomize { options["no_randomize"] = .bool(v) }
        if let v = o.ignoreDiscoveredServers { options["ignore_discovered_servers"] = .bool(v) }
        if let v = o.user { options["user"] = .string(v) }
        if let v = o.password { options["password"] = .string(v) }
        if let v = o.token { options["token"] = .string(v) }
        if let v = o.drainTimeout { options["drain_timeout_ms"] = .int(Int(v.milliseconds)) }
        if let v = o.credentialsFile { options["credentials_file"] = .string(v) }
        return options
    }
}

/// The ops for a scenario's clients and actions.
extension DriverOp {
    /// Connects `client` to its servers (through its links, where the scenario gives it any).
    ///
    /// - Parameter directory: the run's folder, where the creds file of the client's `credentials` user is.
    public static func connect(_ client: ClientSpec, scenario: Scenario, directory: String) -> DriverOp {
        let urls = client.servers.compactMap { scenario.server(named: $0).map { scenario.url(of: $0, for: client) } }
        var options = client.options
        if let user = client.credentials { options.credentialsFile = JWTUser.credsFile(of: user, in: directory) }
        return .connect(servers: urls, name: client.name, options: options)
    }

    public static func subscribe(_ s: Subscription) -> DriverOp { .subscribe(subject: s.subject, sub: s.name, queue: s.queue) }
    public static func reply(_ r: Reply) -> DriverOp { .reply(subject: r.subject, queue: r.queue) }

    public static func publish(_ p: Publish) -> DriverOp {
        .publish(subject: p.subject, stream: p.stream, count: p.count, ratePerSecond: p.ratePerSecond, payloadBytes: p.payloadBytes)
    }

    public static func request(_ r: Request) -> DriverOp {
        .request(subject: r.subject, stream: r.stream, count: r.count, timeout: r.timeout, interval: r.interval)
    }

    public static func service(_ s: ServiceSpec) -> DriverOp { .service(name: s.name, version: s.version, endpoints: s.endpoints) }
}

import NATSFaultDrivers
import NATSFaultScenario

/// The driver-protocol fields for the scenario's actions.
enum DriverCommands {
    static func connect(_ client: ClientSpec, scenario: Scenario) -> [String: JSONValue] {
        let urls = client.servers.compactMap { scenario.server(named: $0).map { scenario.url(of: $0, for: client) } }
        var options: [String: JSONValue] = [:]
        let o = client.options
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
        return ["servers": .array(urls.map { .string($0) }), "name": .string(client.name), "options": .object(options)]
    }

    static func subscribe(_ s: Subscription) -> [String: JSONValue] {
        var f: [String: JSONValue] = ["subject": .string(s.subject), "sub": .string(s.name)]
        if let q = s.queue { f["queue"] = .string(q) }
        return f
    }

    static func reply(_ r: Reply) -> [String: JSONValue] {
        var f: [String: JSONValue] = ["subject": .string(r.subject)]
        if let q = r.queue { f["queue"] = .string(q) }
        return f
    }

    static func publish(_ p: Publish) -> [String: JSONValue] {
        var f: [String: JSONValue] = ["subject": .string(p.subject), "stream": .string(p.stream), "count": .int(p.count)]
        if let r = p.ratePerSecond { f["rate_per_s"] = .double(r) }
        if let b = p.payloadBytes { f["payload_bytes"] = .int(b) }
        return f
    }

    static func request(_ r: Request) -> [String: JSONValue] {
        var f: [String: JSONValue] = ["subject": .string(r.subject), "stream": .string(r.stream), "count": .int(r.count),
                                      "timeout_ms": .int(Int(r.timeout.milliseconds))]
        if let i = r.interval { f["interval_ms"] = .int(Int(i.milliseconds)) }
        return f
    }

    static func service(_ service: ServiceSpec) -> [String: JSONValue] {
        let endpoints: [JSONValue] = service.endpoints.map { e in
            var f: [String: JSONValue] = ["name": .string(e.name), "subject": .string(e.subject)]
            if let q = e.queue { f["queue"] = .string(q) }
            return .object(f)
        }
        return ["name": .string(service.name), "version": .string(service.version), "endpoints": .array(endpoints)]
    }
}

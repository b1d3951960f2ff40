/// Reading JetStream: a server's `jetstream:`, the top-level `streams:` and `consumers:`, the `js_publish`,
/// `js_consume` and `js_stop` steps and the `jetstream` assertion, each checked against what the file declares.
extension Builder {
    func jetStreamConfig(_ value: YAMLValue) throws(ScenarioError) -> JetStreamConfig? {
        if case .scalar = value.node { return try value.bool() ? JetStreamConfig() : nil }
        let m = try value.mapping(ScenarioKeys.jetStream)
        var config = JetStreamConfig()
        config.store = try m["store"]?.oneOf(JetStreamConfig.Store.self) ?? .file
        config.sync = try m["sync"]?.oneOf(JetStreamConfig.Sync.self) ?? .default
        config.maxMemory = try m["max_memory"]?.byteSize()
        config.maxFile = try m["max_file"]?.byteSize()
        return config
    }

    /// `streams:` and `consumers:`, after the servers: each stream on a JetStream server, with no more replicas than
    /// its cluster has JetStream servers; each consumer on a declared stream.
    mutating func jetStream(_ top: YAMLMapping) throws(ScenarioError) {
        let jsServers = servers.filter { $0.config.jetStream != nil }
        if let v = top["streams"] {
            for item in try v.list() {
                let m = try item.mapping(ScenarioKeys.stream)
                let name = try m.required("name").string()
                try checkName(name, m.required("name"))
                guard !streams.contains(where: { $0.name == name }) else { throw item.error("stream name \"\(name)\" is used twice; names must be unique") }
                guard !jsServers.isEmpty else {
                    throw item.error("stream \(name) needs a server with JetStream; add \"jetstream: true\" to a server")
                }
                guard references.accounts.isEmpty else {
                    throw item.error("JetStream streams in operator mode (accounts) are not supported yet; remove \"accounts\" or the streams")
                }
                var spec = StreamSpec(name: name, subjects: [])
                for subject in try m.required("subjects").list() { spec.subjects.append(try subjectText(subject)) }
                if let s = m["server"] {
                    let server = try serverReference(s)
                    guard jsServers.contains(where: { $0.name == server }) else {
                        throw s.error("server \(server) has no JetStream; allowed: \(jsServers.map(\.name).joined(separator: ", "))")
                    }
                    spec.server = server
                }
                if let r = m["replicas"] {
                    spec.replicas = try r.int()
                    let home = jsServers.first { $0.name == spec.server } ?? jsServers[0]
                    let members = home.config.cluster.map { c in jsServers.filter { $0.config.cluster == c } } ?? [home]
                    guard spec.replicas <= members.count else {
                        throw r.error("replicas \(spec.replicas) is more than the \(members.count) JetStream server(s) of \(home.config.cluster.map { "cluster \($0)" } ?? "server \(home.name), which is in no cluster") (\(members.map(\.name).joined(separator: ", "))); allowed: 1 to \(members.count)")
                    }
                }
                if let l = m["leader"] {
                    let leader = try serverReference(l)
                    let home = jsServers.first { $0.name == spec.server } ?? jsServers[0]
                    guard spec.replicas > 1 else { throw l.error("leader needs a replicated stream (replicas 2 or more); a stream of one replica lives on one server") }
                    guard home.config.cluster != nil, let s = jsServers.first(where: { $0.name == leader }), s.config.cluster == home.config.cluster else {
                        throw l.error("server \(leader) is not a JetStream server of \(home.config.cluster.map { "cluster \($0)" } ?? "the stream's cluster")")
                    }
                    spec.leader = leader
                }
                spec.storage = try m["storage"]?.oneOf(JetStreamConfig.Store.self)
                spec.retention = try m["retention"]?.oneOf(StreamSpec.Retention.self) ?? .limits
                spec.maxMsgs = try m["max_msgs"]?.int()
                spec.maxAge = try m["max_age"]?.duration()
                streams.append(spec)
            }
        }
        if let v = top["consumers"] {
            for item in try v.list() {
                let m = try item.mapping(ScenarioKeys.consumer)
                let stream = try streamReference(m.required("stream"))
                let durable = try m.required("durable").string()
                try checkName(durable, m.required("durable"))
                guard !consumers.contains(where: { $0.stream == stream && $0.durable == durable }) else {
                    throw item.error("stream \(stream) has two consumers named \"\(durable)\"; durable names are unique per stream")
                }
                var spec = ConsumerSpec(stream: stream, durable: durable)
                spec.mode = try m["mode"]?.oneOf(ConsumerSpec.Mode.self) ?? .pull
                spec.ackPolicy = try m["ack_policy"]?.oneOf(ConsumerSpec.AckPolicy.self) ?? .explicit
                spec.ackWait = try m["ack_wait"]?.duration()
                spec.maxDeliver = try m["max_deliver"]?.int()
                if let h = m["heartbeat"] {
                    guard spec.mode == .push else { throw h.error("heartbeat is for push consumers (mode: push); a pull consumer's fetches show its health") }
                    spec.heartbeat = try h.duration()
                }
                consumers.append(spec)
            }
        }
    }

    /// A stream of `streams:`, by name.
    func streamReference(_ value: YAMLValue) throws(ScenarioError) -> String {
        let name = try value.string()
        guard streams.contains(where: { $0.name == name }) else {
            throw value.error("no stream is named \"\(name)\"; allowed: \(streams.isEmpty ? "(streams are declared under \"streams\")" : streams.map(\.name).joined(separator: ", "))")
        }
        return name
    }

    func jsPublish(_ body: YAMLValue) throws(ScenarioError) -> Action {
        let m = try body.mapping(ScenarioKeys.jsPublishStep)
        let client = try driverClient(m.required("client"), op: "js_publish")
        guard !streams.isEmpty else { throw body.error("js_publish needs a JetStream stream to publish into; declare one under \"streams\"") }
        let subject = try subjectText(m.required("subject"))
        let p = JSPublish(subject: subject, stream: try streamName(m["stream"]) ?? subject, count: try m.required("count").int(),
                          ratePerSecond: try m["rate"]?.positiveNumber(), payloadBytes: try m["payload_bytes"]?.int(),
                          ackTimeout: try m["ack_timeout"]?.duration(), msgID: try m["msg_id"]?.bool() ?? false,
                          jsStream: try m["js_stream"].map { v throws(ScenarioError) in try streamReference(v) })
        return .client(.jsPublish(p), client: client)
    }

    mutating func jsConsume(_ body: YAMLValue) throws(ScenarioError) -> Action {
        let m = try body.mapping(ScenarioKeys.jsConsumeStep)
        let client = try driverClient(m.required("client"), op: "js_consume")
        let stream = try streamReference(m.required("js_stream"))
        let durableValue = try m.required("durable")
        let durable = try durableValue.string()
        guard let consumer = consumers.first(where: { $0.stream == stream && $0.durable == durable }) else {
            let names = consumers.filter { $0.stream == stream }.map(\.durable)
            throw durableValue.error("stream \(stream) has no consumer named \"\(durable)\"; allowed: \(names.isEmpty ? "(consumers are declared under \"consumers\")" : names.joined(separator: ", "))")
        }
        let sub = try m["sub"]?.string() ?? durable
        if let v = m["sub"] { try checkName(sub, v) }
        guard !(jsConsumes[client] ?? []).contains(sub) else {
            throw body.error("client \(client) already has a js_consume named \"\(sub)\"; give this one its own \"sub\"")
        }
        if consumer.mode == .push, let v = m["batch"] ?? m["fetch_timeout"] {
            throw v.error("batch and fetch_timeout are for pull consumers; \(stream)/\(durable) is a push consumer")
        }
        let ack = try m["ack"]?.bool() ?? true
        jsConsumes[client, default: []].append(sub)
        return .client(.jsConsume(JSConsume(sub: sub, jsStream: stream, durable: durable, mode: consumer.mode, batch: try m["batch"]?.int(),
                                            fetchTimeout: try m["fetch_timeout"]?.duration(), ack: ack)), client: client)
    }

    func jsStop(_ body: YAMLValue) throws(ScenarioError) -> Action {
        let m = try body.mapping(ScenarioKeys.jsStopStep)
        let client = try driverClient(m.required("client"), op: "js_stop")
        let sub = try m.required("sub").string()
        let subs = jsConsumes[client] ?? []
        guard subs.contains(sub) else {
            throw try m.required("sub").error("client \(client) has no earlier js_consume named \"\(sub)\"; allowed: \(subs.isEmpty ? "(none yet)" : subs.joined(separator: ", "))")
        }
        return .client(.jsStop(sub: sub), client: client)
    }

    /// A client run by a driver: JetStream ops go to drivers, never to applications.
    private func driverClient(_ value: YAMLValue, op: String) throws(ScenarioError) -> String {
        let name = try clientReference(value)
        if clients.first(where: { $0.name == name })?.isApplication == true {
            throw value.error("client \(name) is an application under test (command); \(op) is for clients run by a driver")
        }
        return name
    }

    func jetStreamAssertion(_ body: YAMLValue) throws(ScenarioError) -> Assertion {
        let m = try body.mapping(ScenarioKeys.jetStreamAssertion)
        let stream = try m.required("stream").string()
        let jsStream = try streamReference(m.required("js_stream"))
        var client: String?, sub: String?
        if let v = m["consumer"] {
            let c = try v.mapping(ScenarioKeys.jetStreamConsumerRef)
            let name = try clientReference(c.required("client"))
            let subs = jsConsumes[name] ?? []
            if let s = c["sub"] {
                sub = try s.string()
                guard subs.contains(sub!) else {
                    throw s.error("client \(name) has no js_consume named \"\(sub!)\"; allowed: \(subs.isEmpty ? "(none)" : subs.joined(separator: ", "))")
                }
            } else {
                guard subs.count == 1 else {
                    throw v.error(subs.isEmpty ? "client \(name) has no js_consume step; add one, or leave \"consumer\" out to judge by the stream's contents"
                                               : "client \(name) has \(subs.count) js_consume steps; say which with \"sub\" (allowed: \(subs.joined(separator: ", ")))")
                }
                sub = subs[0]
            }
            client = name
        }
        return .jetstream(JetStreamAccounting(
            stream: stream, jsStream: jsStream, consumerClient: client, consumerSub: sub,
            ackedLost: try m["acked_lost"]?.int(), maxDuplicates: try m["max_duplicates"]?.int(),
            orderStream: try m["order"].map { v throws(ScenarioError) in
                guard try v.string() == "stream" else { throw v.error("unknown order \"\(try v.string())\"; allowed: stream") }
                return true
            } ?? false,
            replicasAgree: try m["replicas_agree"]?.bool() ?? false))
    }
}

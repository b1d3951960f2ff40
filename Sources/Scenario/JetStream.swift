/// JetStream on a server (`jetstream:`): where it stores, how often it syncs, and its limits.
public struct JetStreamConfig: Sendable, Hashable, Codable {
    public enum Store: String, Sendable, Hashable, Codable, CaseIterable { case file, memory }
    /// When a file store flushes to disk: nats-server's default `sync_interval` (2 minutes), or after every write.
    public enum Sync: String, Sendable, Hashable, Codable, CaseIterable { case `default`, always }
    /// The store streams get when they do not say (`storage:` of a stream overrides it).
    public var store: Store = .file
    public var sync: Sync = .default
    /// The largest memory store, in bytes; nil: nats-server's default (a share of the machine's memory).
    public var maxMemory: Int? = nil
    /// The largest file store, in bytes; nil: nats-server's default (a share of the disk).
    public var maxFile: Int? = nil

    public init() {}

    /// Where the server keeps its JetStream store: `<run folder>/jetstream/<server>`, kept with the run's artifacts
    /// and shared by every life of the server (a restart, an upgrade) so that its data outlives its process.
    public static func storeDirectory(server: String, in directory: String) -> String { "\(directory)/jetstream/\(server)" }
}

/// A JetStream stream natsfault creates over `$JS.API` before the timeline starts (`streams:`).
public struct StreamSpec: Sendable, Hashable, Codable {
    public enum Retention: String, Sendable, Hashable, Codable, CaseIterable { case limits, interest, workqueue }
    public var name: String
    public var subjects: [String]
    public var replicas: Int = 1
    /// nil: the store of the servers' `jetstream:` (file by default).
    public var storage: JetStreamConfig.Store? = nil
    public var retention: Retention = .limits
    public var maxMsgs: Int? = nil
    public var maxAge: Duration? = nil
    /// Where natsfault sends the create request (a JetStream server); nil: the first JetStream server.
    public var server: String? = nil
    /// The server that must lead the stream when the timeline starts (natsfault asks the leader to step down until this
    /// one is elected); nil: whichever the cluster elects.
    public var leader: String? = nil

    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }

    /// The body of `$JS.API.STREAM.CREATE.<name>`.
    public func createRequest(defaultStore: JetStreamConfig.Store) -> [String: Any] {
        var config: [String: Any] = [
            "name": name, "subjects": subjects, "num_replicas": replicas,
            "storage": (storage ?? defaultStore).rawValue, "retention": retention.rawValue,
            "discard": "old",
            // natsfault reads each replica's messages at the end with direct gets (JetStreamAdmin.directMessages).
            "allow_direct": true,
        ]
        if let maxMsgs { config["max_msgs"] = maxMsgs }
        if let maxAge { config["max_age"] = maxAge.nanoseconds }
        return config
    }
}

/// A durable consumer of a stream, created by natsfault once its stream exists (`consumers:`).
public struct ConsumerSpec: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable { case pull, push }
    public enum AckPolicy: String, Sendable, Hashable, Codable, CaseIterable { case explicit, none, all }
    public var stream: String
    public var durable: String
    public var mode: Mode = .pull
    public var ackPolicy: AckPolicy = .explicit
    /// How long the server waits for an acknowledgement before it redelivers; nil: its default (30 s).
    public var ackWait: Duration? = nil
    /// The most deliveries of one message; nil: unlimited.
    public var maxDeliver: Int? = nil
    /// A push consumer's idle heartbeat (and flow control), which a client watches to find a stalled consumer.
    public var heartbeat: Duration? = nil

    public init(stream: String, durable: String) {
        self.stream = stream
        self.durable = durable
    }

    /// Where a push consumer delivers: a subject of natsfault's own per consumer.
    public var deliverSubject: String { "natsfault.deliver.\(stream).\(durable)" }

    /// The body of `$JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable>`.
    public var createRequest: [String: Any] {
        var config: [String: Any] = ["durable_name": durable, "ack_policy": ackPolicy.rawValue, "deliver_policy": "all", "replay_policy": "instant"]
        if let ackWait { config["ack_wait"] = ackWait.nanoseconds }
        if let maxDeliver { config["max_deliver"] = maxDeliver }
        if mode == .push {
            config["deliver_subject"] = deliverSubject
            if let heartbeat {
                config["idle_heartbeat"] = heartbeat.nanoseconds
                config["flow_control"] = true
            }
        }
        return ["stream_name": stream, "config": config]
    }
}

/// A client's JetStream publisher (`js_publish:`): numbered messages, each waiting for the stream's acknowledgement.
public struct JSPublish: Sendable, Hashable, Codable {
    public var subject: String
    /// The name of its messages in assertions (as `publish`'s).
    public var stream: String
    public var count: Int
    public var ratePerSecond: Double?
    public var payloadBytes: Int?
    /// How long one publish waits for its acknowledgement; nil: 2 s.
    public var ackTimeout: Duration?
    /// Send `Nats-Msg-Id: <stream>-<seq>`, so that the stream drops a message stored twice.
    public var msgID: Bool
    /// The JetStream stream the subject must land in (`Nats-Expected-Stream`); nil: any.
    public var jsStream: String?

    public init(subject: String, stream: String, count: Int, ratePerSecond: Double?, payloadBytes: Int?, ackTimeout: Duration?, msgID: Bool, jsStream: String?) {
        (self.subject, self.stream, self.count, self.ratePerSecond, self.payloadBytes, self.ackTimeout, self.msgID, self.jsStream)
            = (subject, stream, count, ratePerSecond, payloadBytes, ackTimeout, msgID, jsStream)
    }
}

/// A client consuming a durable consumer in the background (`js_consume:`), until `js_stop` or the end.
public struct JSConsume: Sendable, Hashable, Codable {
    /// Its name in `js_message` events and assertions.
    public var sub: String
    public var jsStream: String
    public var durable: String
    public var mode: ConsumerSpec.Mode
    public var batch: Int?
    public var fetchTimeout: Duration?
    public var ack: Bool

    public init(sub: String, jsStream: String, durable: String, mode: ConsumerSpec.Mode, batch: Int?, fetchTimeout: Duration?, ack: Bool) {
        (self.sub, self.jsStream, self.durable, self.mode, self.batch, self.fetchTimeout, self.ack) = (sub, jsStream, durable, mode, batch, fetchTimeout, ack)
    }
}

/// The `jetstream` assertion: what became of the acknowledged publishes of one publisher stream in one JetStream stream.
public struct JetStreamAccounting: Sendable, Hashable, Codable {
    /// The publisher stream (the `stream` of a `js_publish`).
    public var stream: String
    /// The JetStream stream it publishes into.
    public var jsStream: String
    /// The consuming client and its `js_consume` sub; nil: judged against the stream's contents alone.
    public var consumerClient: String?
    public var consumerSub: String?
    /// At most this many acknowledged publishes neither delivered nor in the stream at the end.
    public var ackedLost: Int?
    /// At most this many deliveries of a message beyond its first.
    public var maxDuplicates: Int?
    /// Stream sequences increase at the consumer, except for redeliveries.
    public var orderStream: Bool
    /// The stream's replicas hold the same messages at the end.
    public var replicasAgree: Bool

    public init(stream: String, jsStream: String, consumerClient: String?, consumerSub: String?, ackedLost: Int?, maxDuplicates: Int?, orderStream: Bool, replicasAgree: Bool) {
        (self.stream, self.jsStream, self.consumerClient, self.consumerSub, self.ackedLost, self.maxDuplicates, self.orderStream, self.replicasAgree)
            = (stream, jsStream, consumerClient, consumerSub, ackedLost, maxDuplicates, orderStream, replicasAgree)
    }
}

/// The key table of scenario files: every kind of mapping the parser reads, with its keys. The parser checks keys
/// and reads values by these kinds; `ScenarioSchema` writes the JSON Schema from them. A fault's own keys live in
/// its file (`Fault.parameters`); the timeline step and the proxy step gather them from the catalogue.
public enum ScenarioKeys {
    // MARK: the file

    public static let scenario = MappingKind(id: "scenario", what: "a scenario", keys: [
        ScenarioKey("name", .text, "The scenario's name in reports; unique among the scenarios of one run. Default: the file name without .yaml."),
        ScenarioKey("description", .text, "One line saying what the scenario reproduces."),
        ScenarioKey("drivers", .names(to: .command, keys: namePattern),
                    "Drivers of this file's own, by name: the command, then its arguments separated by spaces (a relative path is relative to the file's folder). A shipped driver's name (c, go, python) replaces that driver for this file."),
        ScenarioKey("only", .mapping(only), "The client libraries the scenario is for; a run with any other client is skipped."),
        ScenarioKey("accounts", .list(.mapping(account), atLeast: 1), "Operator mode: every server authenticates JWT users of these accounts."),
        .required("servers", .list(.mapping(server), atLeast: 1), "The nats-server processes, at most 250."),
        .required("clients", .list(.mapping(client), atLeast: 1), "The clients: each a driver process wrapping a NATS client library, or an application under test (command), at most 250."),
        ScenarioKey("streams", .list(.mapping(stream), atLeast: 1), "JetStream streams natsfault creates before the timeline starts; needs a server with jetstream."),
        ScenarioKey("consumers", .list(.mapping(consumer), atLeast: 1), "Durable consumers natsfault creates once their streams exist."),
        ScenarioKey("timeline", .list(.mapping(step)), "The steps, run one at a time in file order."),
        ScenarioKey("assert", .list(.mapping(assertion)), "Final assertions over every event recorded before teardown."),
        ScenarioKey("known_differences", .list(.mapping(knownDifference)), "Documented ways a library differs that make one check fail as declared (differs, not failed)."),
        ScenarioKey("server_versions", .list(.versionPrefix), "The nats-server versions the scenario applies to; runs against others are skipped. Default: every version."),
        ScenarioKey("server_versions_reason", .text, "Shown with the skip of a run against another nats-server version."),
        ScenarioKey("timeout", .duration(.positive), "The longest the run may take, from the initial connects through the settle phase. Default: 180s."),
    ])

    public static let only = MappingKind(id: "only", what: "\"only\" (the client libraries the scenario is for)", keys: [
        .required("drivers", .oneOrList(.name), "The drivers the scenario is for: c, go, python, or ones the file declares."),
        .required("reason", .text, "Why, in one line; shown with the skip."),
    ])

    public static let knownDifference = MappingKind(id: "known_difference", what: "a known difference", keys: [
        .required("drivers", .oneOrList(.name), "The drivers (client libraries) that differ."),
        ScenarioKey("library_versions", .text, "The library versions that differ, as bounds: e.g. \">=2.6, <3\"."),
        ScenarioKey("step", .name, "The id of the timeline step whose check differs."),
        ScenarioKey("assert", .wholeNumber(0...Int.max, what: "an assertion's index in \"assert\" (the first is 0)"), "The index in assert of the assertion that differs (the first is 0)."),
        .required("finding", .text, "The finding's id in docs/client-differences.md, e.g. F1."),
        .required("reason", .text, "What the library does instead, in one line."),
        ScenarioKey("observed", .pattern, "A regular expression the failed check's observation must match for the difference to count."),
    ], exclusive: [["step", "assert"]])

    // MARK: accounts (operator mode)

    public static let account = MappingKind(id: "account", what: "an account", keys: [
        .required("name", .name, "The account's name, unique."),
        .required("users", .list(.either([.name, .mapping(accountUser)]), atLeast: 1),
                  "Its users, each a name or {name, expires | expires_at}; user names are unique across accounts."),
    ])

    /// `expires` and `expires_at`, which users of accounts and `rotate_credentials` share.
    static let expiry: [ScenarioKey] = [
        ScenarioKey("expires", .duration(.positive), "The JWT expires this long after the timeline starts; whole seconds."),
        ScenarioKey("expires_at", .time, "The JWT expires at this RFC 3339 time in whole seconds, e.g. \"2020-01-01T00:00:00Z\"."),
    ]

    public static let accountUser = MappingKind(
        id: "account_user", what: "a user of an account",
        keys: [.required("name", .name, "The user's name, which clients give in credentials.")] + expiry, exclusive: [["expires", "expires_at"]])

    // MARK: servers

    public static let server = MappingKind(id: "server", what: "a server", keys: [
        .required("name", .name, "The server's name, which steps, clients' servers lists and matches refer to."),
        ScenarioKey("version", .serverVersion, "Pins the server to the newest installed nats-server matching this prefix, e.g. \"2.9\"; oldest or newest: the oldest or newest installed version."),
        ScenarioKey("cluster", .name, "Joins the cluster of this name, with routes to every other server of the same cluster."),
        ScenarioKey("cluster_port", .wholeNumber(1...65535), "The cluster listener's port. Needs cluster. Default: 6222."),
        ScenarioKey("start", .boolean, "false: not started before the timeline; a start step starts it. Default: true."),
        ScenarioKey("port", .wholeNumber(1...65535), "The client port. Default: 4222."),
        ScenarioKey("monitor_port", .wholeNumber(1...65535), "The HTTP monitoring port; differs from port. Default: 8222."),
        ScenarioKey("ping_interval", .duration(.positive), "nats-server's ping_interval."),
        ScenarioKey("ping_max", .wholeNumber(1...1000), "nats-server's ping_max."),
        ScenarioKey("max_connections", .wholeNumber(1...Int(Int32.max)), "nats-server's max_connections."),
        ScenarioKey("write_deadline", .duration(.positive), "nats-server's write_deadline."),
        ScenarioKey("max_pending", .wholeNumber(1...Int(Int32.max), what: "a byte count"), "nats-server's max_pending, in bytes."),
        ScenarioKey("max_payload", .byteSize(1...Int(Int32.max)), "nats-server's max_payload: bytes, or with KB or MB; at most max_pending."),
        ScenarioKey("users", .list(.mapping(user)), "Users with passwords (an authorization block); not with accounts."),
        ScenarioKey("lame_duck_grace_period", .duration(.positive), "nats-server's lame_duck_grace_period: the wait before a lame duck closes its clients."),
        ScenarioKey("lame_duck_duration", .duration(.zero), "nats-server's lame_duck_duration; at least 30s."),
        ScenarioKey("jetstream", .either([.boolean, .mapping(jetStream)]),
                    "JetStream on: true, or {store, sync, max_memory, max_file}; its store is in the run's folder, kept across restarts."),
    ]).with(needs: ["cluster_port": "cluster"])

    public static let jetStream = MappingKind(id: "jetstream", what: "a server's JetStream", keys: [
        ScenarioKey("store", .choice(of: JetStreamConfig.Store.self, what: "store"), "The store streams get when they do not say: file (default) or memory."),
        ScenarioKey("sync", .choice(of: JetStreamConfig.Sync.self, what: "sync"), "default: nats-server's sync_interval (2 minutes); always: flush every write to disk."),
        ScenarioKey("max_memory", .byteSize(1...Int.max), "The largest memory store: bytes, or with KB or MB."),
        ScenarioKey("max_file", .byteSize(1...Int.max), "The largest file store: bytes, or with KB or MB."),
    ])

    public static let stream = MappingKind(id: "jetstream_stream", what: "a JetStream stream", keys: [
        .required("name", .name, "The stream's name, unique."),
        .required("subjects", .list(.subject, atLeast: 1), "The subjects it stores (wildcards allowed)."),
        ScenarioKey("replicas", .wholeNumber(1...5), "How many servers hold it; at most the JetStream servers of one cluster. Default: 1."),
        ScenarioKey("storage", .choice(of: JetStreamConfig.Store.self, what: "storage"), "file or memory. Default: the servers' jetstream store."),
        ScenarioKey("retention", .choice(of: StreamSpec.Retention.self, what: "retention"), "limits (default), interest or workqueue."),
        ScenarioKey("max_msgs", .wholeNumber(1...Int.max), "The most messages it keeps."),
        ScenarioKey("max_age", .duration(.positive), "The oldest message it keeps."),
        ScenarioKey("server", .name, "The JetStream server natsfault asks to create it. Default: the first."),
        ScenarioKey("leader", .name, "A replicated stream: the server that leads it when the timeline starts (natsfault has the leader step down until it is)."),
    ])

    public static let consumer = MappingKind(id: "jetstream_consumer", what: "a durable consumer", keys: [
        .required("stream", .name, "A stream of streams."),
        .required("durable", .name, "The consumer's durable name, unique per stream."),
        ScenarioKey("mode", .choice(of: ConsumerSpec.Mode.self, what: "mode"), "pull (default) or push (natsfault gives it a deliver subject of its own)."),
        ScenarioKey("ack_policy", .choice(of: ConsumerSpec.AckPolicy.self, what: "ack policy"), "explicit (default), none or all."),
        ScenarioKey("ack_wait", .duration(.millisecond), "How long the server waits for an acknowledgement before it redelivers. Default: 30s."),
        ScenarioKey("max_deliver", .wholeNumber(1...Int(Int32.max)), "The most deliveries of one message. Default: unlimited."),
        ScenarioKey("heartbeat", .duration(.millisecond), "A push consumer's idle heartbeat (with flow control)."),
    ]).with(needs: ["heartbeat": "mode"])

    public static let user = MappingKind(id: "user", what: "a user", keys: [
        .required("user", .text, "The user name."),
        .required("password", .text, "The password."),
    ])

    // MARK: clients

    public static let client = MappingKind(id: "client", what: "a client", keys: [
        .required("name", .name, "The client's name, unique among servers and clients."),
        ScenarioKey("driver", .name, "The client library: c, go, python, or a driver the file declares. Default: the run's --client."),
        ScenarioKey("requires", .list(.text), "Capabilities the driver must announce (lame_duck, retry_on_failed_connect, service, …); a run without them is skipped."),
        ScenarioKey("link", .choice(of: LinkMode.self, what: "link"), "proxy: through natsfault's fault proxy (the default); direct: straight to the servers."),
        ScenarioKey("servers", .list(.name, atLeast: 1), "The servers it connects to, in this order. Default: every server, in file order."),
        ScenarioKey("connect", .boolean, "false: not connected when the timeline begins; a connect step connects it. Default: true."),
        ScenarioKey("options", .mapping(options), "Connect options; any left out is the library's default."),
        ScenarioKey("credentials", .name, "A user of the scenario's accounts whose creds file the client authenticates with."),
        ScenarioKey("subscribe", .list(.either([.subject, .mapping(subscription)])), "Subscriptions, set up after each successful connect; a subject alone is one."),
        ScenarioKey("reply", .list(.either([.subject, .mapping(responder)])), "Responders answering each request with its own payload; a subject alone is one."),
        ScenarioKey("publish", .list(.mapping(publisher)), "Publishers, started in the background after each successful connect."),
        ScenarioKey("request", .list(.mapping(requester)), "Requesters, started in the background after each successful connect."),
        ScenarioKey("service", .mapping(service), "An ADR-32 micro service the client runs."),
        ScenarioKey("command", .command, "An application under test instead of a driver: the program, then its arguments separated by spaces."),
        ScenarioKey("env", .names(to: .text, keys: "^[A-Za-z0-9_]+$"), "An application's environment variables besides NATS_URL, NATS_URLS and NATS_CLIENT_NAME."),
        ScenarioKey("services", .list(.name), "Micro services an application runs, for probe_service."),
    ]).with(needs: ["env": "command", "services": "command"], narrowedBy: ("command", applicationKeys))

    /// The keys a client with `command` (an application under test) takes.
    public static let applicationKeys = ["name", "command", "env", "services", "servers", "link"]

    public static let options = MappingKind(id: "options", what: "connect options", keys: [
        ScenarioKey("allow_reconnect", .boolean, "false: never reconnect."),
        ScenarioKey("max_reconnects", .wholeNumber(-1...Int(Int32.max), what: "a whole number (-1: forever)"), "Reconnect attempts before giving up; -1: forever."),
        ScenarioKey("reconnect_wait", .duration(.zero), "Pause between attempts to the same server."),
        ScenarioKey("reconnect_jitter", .duration(.zero), "Random extra wait added to reconnect_wait."),
        ScenarioKey("reconnect_buffer_bytes", .wholeNumber(-1...Int(Int32.max), what: "a byte count"), "Size of the buffer holding publishes while disconnected."),
        ScenarioKey("ping_interval", .duration(.millisecond), "The client's PING interval."),
        ScenarioKey("max_pings_out", .wholeNumber(1...1000), "Unanswered PINGs before the connection counts as stale."),
        ScenarioKey("connect_timeout", .duration(.millisecond), "Timeout of one connection attempt."),
        ScenarioKey("retry_on_failed_connect", .boolean, "true: a first connect that fails goes on in the background."),
        ScenarioKey("no_randomize", .boolean, "true: try the servers in list order."),
        ScenarioKey("ignore_discovered_servers", .boolean, "true: do not add servers learned from the cluster."),
        ScenarioKey("user", .text, "User name."),
        ScenarioKey("password", .text, "Password."),
        ScenarioKey("token", .text, "Authentication token."),
        ScenarioKey("drain_timeout", .duration(.millisecond), "Limit for drain."),
    ])

    public static let service = MappingKind(id: "service", what: "a micro service", keys: [
        .required("name", .name, "The service's name."),
        ScenarioKey("version", .text, "MAJOR.MINOR.PATCH. Default: 1.0.0."),
        .required("endpoints", .list(.either([.subject, .mapping(endpoint)]), atLeast: 1),
                  "Its endpoints, each a subject or {name, subject, queue}; each answers with the request's payload."),
    ])

    public static let endpoint = MappingKind(id: "endpoint", what: "an endpoint", keys: [
        ScenarioKey("name", .name, "The endpoint's name. Default: the subject with . replaced by _."),
        .required("subject", .subject, "The subject it answers on."),
        ScenarioKey("queue", .text, "The queue group. Default: the library's."),
    ])

    public static let subscription = MappingKind(id: "subscription", what: "a subscription", keys: [
        .required("subject", .subject, "The subject to subscribe to."),
        ScenarioKey("queue", .text, "The queue group."),
        ScenarioKey("name", .text, "The subscription's name in reports and in messages assertions (sub). Default: the subject."),
    ])

    public static let responder = MappingKind(id: "responder", what: "a responder", keys: [
        .required("subject", .subject, "The subject to answer on."),
        ScenarioKey("queue", .text, "The queue group."),
    ])

    public static let publisher = MappingKind(id: "publisher", what: "a publisher", keys: [
        .required("subject", .subject, "The subject to publish to."),
        ScenarioKey("stream", .stream, "The name of its messages in assertions. Default: the subject."),
        .required("count", .wholeNumber(1...100_000_000), "How many messages, numbered 1…count."),
        ScenarioKey("rate", .positiveNumber, "Messages per second. Default: as fast as possible."),
        ScenarioKey("payload_bytes", .wholeNumber(0...64 * 1024 * 1024, what: "a byte count"), "Pads each payload to this size."),
    ])

    public static let requester = MappingKind(id: "requester", what: "a requester", keys: [
        .required("subject", .subject, "The subject to send requests to."),
        ScenarioKey("stream", .stream, "The name of its requests in assertions. Default: the subject."),
        ScenarioKey("count", .wholeNumber(1...10_000_000), "How many requests, one after the other. Default: 1."),
        .required("timeout", .duration(.millisecond), "How long each request waits for its reply."),
        ScenarioKey("interval", .duration(.zero), "The least time from the start of one request to the start of the next."),
    ])

    // MARK: the timeline

    /// The keys of a step besides its one action.
    static let stepTiming: [ScenarioKey] = [
        ScenarioKey("id", .name, "Names the step for since, heal and known_differences; unique."),
        ScenarioKey("at", .duration(.zero), "Start at this offset from the timeline's start."),
        ScenarioKey("after", .duration(.zero), "Start this long after the previous step finished."),
        ScenarioKey("drivers", .oneOrList(.name), "On a check: judge it only in runs of these drivers."),
    ]

    /// The client actions a step may take, in the order error messages list them.
    static let clientActions: [ScenarioKey] = [
        ScenarioKey("connect", .name, "Connects the client (its connect: false, or again after close)."),
        ScenarioKey("subscribe", .mapping(subscribeStep), "Adds a subscription."),
        ScenarioKey("reply", .mapping(replyStep), "Adds a responder."),
        ScenarioKey("publish", .mapping(publishStep), "Starts a publisher in the background."),
        ScenarioKey("request", .mapping(requestStep), "Starts a requester in the background."),
        ScenarioKey("flush", .either([.name, .mapping(flush)]), "Flushes the client's connection."),
        ScenarioKey("drain", .name, "Drains the client's connection, then closes it."),
        ScenarioKey("close", .name, "Closes the client's connection."),
        ScenarioKey("js_publish", .mapping(jsPublishStep), "Starts a JetStream publisher in the background: each message waits for the stream's acknowledgement."),
        ScenarioKey("js_consume", .mapping(jsConsumeStep), "Starts consuming a durable consumer in the background."),
        ScenarioKey("js_stop", .mapping(jsStopStep), "Stops a js_consume."),
    ]

    /// The steps that are neither faults nor client actions, in the order error messages list them.
    static let otherSteps: [ScenarioKey] = [
        ScenarioKey("wait", .duration(.zero), "Waits this long."),
        ScenarioKey("expect", .mapping(expect), "Expects a client event within a window."),
        ScenarioKey("expect_absent", .mapping(expectAbsent), "Expects no such client event for a while."),
        ScenarioKey("any_of", .list(.mapping(alternative), atLeast: 2), "Met when one of its expectations is met."),
        ScenarioKey("expect_server", .mapping(expectServer), "Checks the server's monitoring port until a condition holds."),
        ScenarioKey("probe", .mapping(probe), "Sends requests from natsfault's own connection; with within, expects an answer."),
        ScenarioKey("probe_service", .mapping(probeService), "Asks a micro service's ADR-32 discovery subjects until they show a condition."),
        ScenarioKey("proxy", .mapping(proxy), "Puts a fault on proxy links."),
        ScenarioKey("heal", .name, "Removes the lasting fault of the step with this id, or every one with all."),
    ]

    /// A timeline step: its timing, and one action: a server fault, a client action or fault, another step, a
    /// firewall or credentials fault.
    public static var step: MappingKind {
        func faults(_ target: FaultTarget) -> [ScenarioKey] { FaultCatalog.faults(of: target).map { ScenarioKey($0.name, $0.stepValue, $0.summary) } }
        let actions = faults(.server) + clientActions + faults(.client) + otherSteps + faults(.firewall) + faults(.credentials)
        return MappingKind(id: "step", what: "a timeline step", keys: stepTiming + actions, exactlyOne: actions.map(\.name), exclusive: [["at", "after"]])
    }

    public static let subscribeStep = subscription.namingItsClient(id: "subscribe_step")
    public static let replyStep = responder.namingItsClient(id: "reply_step")
    public static let publishStep = publisher.namingItsClient(id: "publish_step")
    public static let requestStep = requester.namingItsClient(id: "request_step")

    public static let jsPublishStep = MappingKind(id: "js_publish_step", what: "a JetStream publisher", keys: [
        .required("client", .name, "The client that publishes."),
        .required("subject", .subject, "The subject to publish to: one of a stream's subjects."),
        ScenarioKey("stream", .stream, "The name of its messages in assertions. Default: the subject."),
        .required("count", .wholeNumber(1...100_000_000), "How many messages, numbered 1…count."),
        ScenarioKey("rate", .positiveNumber, "Messages per second. Default: as fast as the acknowledgements come."),
        ScenarioKey("payload_bytes", .wholeNumber(0...64 * 1024 * 1024, what: "a byte count"), "Pads each payload to this size."),
        ScenarioKey("ack_timeout", .duration(.millisecond), "How long one publish waits for its acknowledgement. Default: 2s."),
        ScenarioKey("msg_id", .boolean, "true: each message carries a Nats-Msg-Id, so the stream drops a message stored twice."),
        ScenarioKey("js_stream", .name, "The stream the messages must land in (Nats-Expected-Stream)."),
    ])

    public static let jsConsumeStep = MappingKind(id: "js_consume_step", what: "a JetStream consumer", keys: [
        .required("client", .name, "The client that consumes."),
        .required("js_stream", .name, "A stream of streams."),
        .required("durable", .name, "A durable consumer of that stream, from consumers."),
        ScenarioKey("sub", .name, "Its name in js_message events and jetstream assertions. Default: the durable name."),
        ScenarioKey("batch", .wholeNumber(1...10_000), "Pull: messages per fetch. Default: 10."),
        ScenarioKey("fetch_timeout", .duration(.millisecond), "Pull: how long one fetch waits. Default: 1s."),
        ScenarioKey("ack", .boolean, "false: never acknowledge (the server redelivers after ack_wait). Default: true."),
    ])

    public static let jsStopStep = MappingKind(id: "js_stop_step", what: "a js_stop", keys: [
        .required("client", .name, "The consuming client."),
        .required("sub", .name, "The js_consume's sub."),
    ])

    public static let flush = MappingKind(id: "flush", what: "a flush", keys: [
        .required("client", .name, "The client whose connection is flushed."),
        ScenarioKey("timeout", .duration(.millisecond), "Default: 5s."),
    ])

    /// The keys that pick events: of `expect`, `expect_absent` and the `events` assertion.
    static let eventMatch: [ScenarioKey] = [
        .required("client", .name, "Whose events count."),
        .required("event", .choice(of: ClientEventKind.self, what: "event"), "Which event counts."),
        ScenarioKey("error", .choice(of: ErrorKind.self, what: "error kind"), "Only events carrying this error kind count."),
        ScenarioKey("server", .name, "Only connected or reconnected events to this server count."),
        ScenarioKey("matches", .pattern, "Only events whose text matches this regular expression count."),
        ScenarioKey("wire_error", .text, "Only events that came right after the server sent an -ERR containing this text (ignoring case) count."),
    ]

    /// `count`, or `min` and/or `max`.
    static let countKeys: [ScenarioKey] = [
        ScenarioKey("count", .wholeNumber(0...Int.max), "Exactly this many."),
        ScenarioKey("min", .wholeNumber(0...Int.max), "At least this many. Default: 0."),
        ScenarioKey("max", .wholeNumber(0...Int.max), "At most this many; not below min."),
    ]

    /// The count form `{min, max}`.
    public static let count = MappingKind(id: "count_range", what: "a count", keys: Array(countKeys.dropFirst()))

    public static let expect = MappingKind(
        id: "expect", what: "an expectation",
        keys: eventMatch + [
            .required("within", .duration(.zero), "The length of the window."),
            ScenarioKey("not_before", .duration(.zero), "How long after the anchor the window opens. Default: 0s."),
        ] + countKeys + [ScenarioKey("since", .name, "The anchor: the start of the earlier step with this id. Default: the latest action.")],
        exclusive: [["count", "min"], ["count", "max"]])

    public static let expectAbsent = MappingKind(
        id: "expect_absent", what: "an absence expectation",
        keys: eventMatch + [.required("for", .duration(.positive), "How long no matching event may come.")])

    public static let alternative = MappingKind(
        id: "alternative", what: "an alternative of any_of",
        keys: [ScenarioKey("expect", .mapping(expect), "An expectation."), ScenarioKey("expect_absent", .mapping(expectAbsent), "An absence expectation.")],
        exactlyOne: ["expect", "expect_absent"])

    public static let expectServer = MappingKind(
        id: "expect_server", what: "a server expectation",
        keys: [
            .required("server", .name, "The server to ask."),
            ScenarioKey("closed", .mapping(closedCheck), "A closed connection's reason contains this text."),
            ScenarioKey("open", .mapping(openCheck), "The number of open connections."),
            ScenarioKey("varz", .mapping(varzCheck), "A whole-number field of /varz."),
            ScenarioKey("routes", .mapping(routesCheck), "The number of route connections."),
            .required("within", .duration(.zero), "How long the condition may take to hold; 0s: one reading."),
        ],
        exactlyOne: ["closed", "open", "varz", "routes"])

    public static let closedCheck = MappingKind(id: "closed_check", what: "a closed-connection check", keys: [
        ScenarioKey("client", .name, "Only this client's connections."),
        .required("reason", .text, "Text the reason contains, ignoring case, e.g. Stale Connection."),
    ])

    public static let routesCheck = MappingKind(id: "routes_check", what: "a route check",
                                                keys: [ScenarioKey("to", .name, "Only routes to this cluster peer.")] + countKeys,
                                                exclusive: [["count", "min"], ["count", "max"]])

    public static let openCheck = MappingKind(id: "open_check", what: "an open-connections check",
                                              keys: [ScenarioKey("client", .name, "Only this client's connections.")] + countKeys,
                                              exclusive: [["count", "min"], ["count", "max"]])

    public static let varzCheck = MappingKind(id: "varz_check", what: "a varz check",
                                              keys: [.required("field", .text, "A whole-number field at the top of /varz, e.g. slow_consumers.")] + countKeys,
                                              exclusive: [["count", "min"], ["count", "max"]])

    public static let probe = MappingKind(id: "probe", what: "a probe", keys: [
        .required("subject", .subject, "Where the requests go."),
        ScenarioKey("server", .name, "The server the probe connects to. Default: the first."),
        ScenarioKey("stream", .stream, "The stream its outcomes are recorded under. Default: the subject."),
        ScenarioKey("count", .wholeNumber(1...100_000), "How many requests, one after the other; not with within. Default: 1."),
        ScenarioKey("timeout", .duration(.positive), "Each request's timeout. Default: 1s (500ms with within)."),
        ScenarioKey("interval", .duration(.zero), "The pause between requests."),
        ScenarioKey("payload_bytes", .wholeNumber(0...1_048_576, what: "a byte count"), "Pads the payload to this size."),
        ScenarioKey("within", .duration(.positive), "Makes the step an expectation: requests until one is answered, or this window passes."),
    ], exclusive: [["count", "within"]])

    public static let probeService = MappingKind(id: "probe_service", what: "a service probe", keys: [
        .required("service", .name, "A service some client runs or some application declares."),
        ScenarioKey("server", .name, "The server to ask. Default: the first."),
        .required("within", .duration(.zero), "How long to keep asking."),
        ScenarioKey("instances", .count, "Instances answering $SRV.PING."),
        ScenarioKey("subjects", .list(.subject), "Endpoint subjects $SRV.INFO must list."),
        ScenarioKey("requests", .count, "num_requests of $SRV.STATS, summed."),
        ScenarioKey("errors", .count, "num_errors of $SRV.STATS, summed."),
    ])

    /// The keys every `proxy:` step takes besides its fault's own (`LinkSelection`).
    static var linkSelection: [ScenarioKey] {
        [
            .required("fault", .choice(FaultCatalog.linkFaultNames, what: "proxy fault"), "Which proxy fault."),
            ScenarioKey("client", .name, "The client whose links get the fault. Default: every client with link: proxy."),
            ScenarioKey("server", .name, "Only the links to this server."),
            ScenarioKey("for", .duration(.positive), "Lasting faults only: it heals by itself this long after the step."),
        ]
    }

    /// A `proxy:` step: the keys every proxy fault takes, and each key some proxy fault takes (the first fault's
    /// when two share a name); which of them a fault takes is its own table (`Fault.keys`).
    public static var proxy: MappingKind {
        var keys = linkSelection
        let faults = FaultCatalog.faults(of: .link)
        for fault in faults {
            for key in fault.parameters where !keys.contains(where: { $0.name == key.name }) { keys.append(key) }
        }
        var kind = MappingKind(id: "proxy", what: "a proxy fault", keys: keys)
        kind.variants = ("fault", faults.map { (value: $0.name, kind: $0.keys) })
        return kind
    }

    // MARK: assertions

    /// The kinds of assertion, in the order error messages list them.
    static let assertionKinds: [ScenarioKey] = [
        ScenarioKey("events", .mapping(events), "Counts matching events over the whole run."),
        ScenarioKey("order", .mapping(order), "The client's events contain these in this order."),
        ScenarioKey("messages", .mapping(messages), "Accounts for a stream's messages at a receiving client."),
        ScenarioKey("publishes", .mapping(publishes), "Counts a stream's publish outcomes."),
        ScenarioKey("requests", .mapping(requests), "Counts a stream's request outcomes."),
        ScenarioKey("jetstream", .mapping(jetStreamAssertion), "Accounts for a JetStream publisher's acknowledged messages."),
    ]

    public static let assertion = MappingKind(
        id: "assertion", what: "an assertion",
        keys: assertionKinds + [ScenarioKey("drivers", .oneOrList(.name), "Judge the assertion only in runs of these drivers.")],
        exactlyOne: assertionKinds.map(\.name))

    public static let events = MappingKind(id: "events", what: "an events assertion", keys: eventMatch + countKeys,
                                           exclusive: [["count", "min"], ["count", "max"]])

    public static let order = MappingKind(id: "order", what: "an order assertion", keys: [
        .required("client", .name, "Whose events."),
        .required("events", .list(.choice(of: ClientEventKind.self, what: "event"), atLeast: 2), "The events, in the order they must come."),
    ])

    public static let messages = MappingKind(id: "messages", what: "a messages assertion", keys: [
        .required("stream", .stream, "A stream some publisher publishes."),
        .required("client", .name, "The receiving client."),
        ScenarioKey("sub", .text, "Count only this subscription's messages."),
        ScenarioKey("received", .count, "How many of the stream's messages arrived, duplicates included."),
        ScenarioKey("max_lost", .wholeNumber(0...Int.max), "At most this many lost."),
        ScenarioKey("max_duplicated", .wholeNumber(0...Int.max), "At most this many duplicates."),
        ScenarioKey("max_reordered", .wholeNumber(0...Int.max), "At most this many out-of-order arrivals."),
        ScenarioKey("lost_only_during_outage", .boolean, "Every lost message was published during an outage window."),
    ])

    public static let publishes = MappingKind(id: "publishes", what: "a publishes assertion", keys: [
        .required("stream", .stream, "A stream some publisher publishes."),
        ScenarioKey("ok", .count, "How many publishes succeeded."),
        ScenarioKey("failed", .count, "How many publishes failed."),
        ScenarioKey("error", .choice(of: ErrorKind.self, what: "error kind"), "Every failed publish carries this error kind."),
        ScenarioKey("by_seq", .list(.mapping(publishBySeq), atLeast: 1), "Outcomes of particular messages, by sequence number."),
    ])

    public static let requests = MappingKind(
        id: "requests", what: "a requests assertion",
        keys: [
            .required("stream", .stream, "A stream of some requester, request step or probe."),
            ScenarioKey("p99_below", .duration(.positive), "The 99th-percentile latency of the answered requests is below this."),
            ScenarioKey("each_below", .duration(.positive), "Every request's result, whatever its outcome, came within this."),
            ScenarioKey("by_seq", .list(.mapping(requestBySeq), atLeast: 1), "Outcomes of particular requests, by sequence number."),
            ScenarioKey("ok", .count, "How many requests were answered."),
        ] + ErrorKind.allCases.map { ScenarioKey($0.rawValue, .count, "How many requests failed with \($0.rawValue).") })

    public static let jetStreamAssertion = MappingKind(id: "jetstream_assertion", what: "a jetstream assertion", keys: [
        .required("stream", .stream, "The stream (name) of a js_publish."),
        .required("js_stream", .name, "The JetStream stream it publishes into."),
        ScenarioKey("consumer", .mapping(jetStreamConsumerRef), "The client and sub of a js_consume whose deliveries count."),
        ScenarioKey("acked_lost", .wholeNumber(0...Int.max), "At most this many acknowledged messages neither delivered nor in the stream at the end."),
        ScenarioKey("max_duplicates", .wholeNumber(0...Int.max), "At most this many deliveries beyond each message's first."),
        ScenarioKey("order", .choice(["stream"], what: "order"), "stream: stream sequences increase at the consumer, redeliveries aside."),
        ScenarioKey("replicas_agree", .boolean, "true: every server's replica holds the same messages at the end."),
    ])

    public static let jetStreamConsumerRef = MappingKind(id: "jetstream_consumer_ref", what: "a consumer reference", keys: [
        .required("client", .name, "The consuming client."),
        ScenarioKey("sub", .name, "Its js_consume's sub. Default: the client's only js_consume."),
    ])

    /// A `by_seq` entry of `publishes`, whose successes have no reply to time.
    public static let publishBySeq = MappingKind(id: "publish_by_seq", what: "a by_seq entry", keys: bySeq, exclusive: [["seq", "seqs"]])

    /// A `by_seq` entry of `requests`.
    public static let requestBySeq = MappingKind(
        id: "request_by_seq", what: "a by_seq entry",
        keys: bySeq + [ScenarioKey("answers_within", .duration(.positive), "With outcome ok: the reply came within this.")], exclusive: [["seq", "seqs"]])

    static let bySeq: [ScenarioKey] = [
        ScenarioKey("seq", .wholeNumber(1...Int.max, what: "a sequence number (the first message is 1)"), "One message, by its sequence number (the first is 1)."),
        ScenarioKey("seqs", .text, "Messages FIRST-LAST, e.g. 1-2."),
        .required("outcome", .choice(["ok", "failed"] + ErrorKind.allCases.map(\.rawValue), what: "outcome"), "ok, failed, or an error kind."),
        ScenarioKey("error", .choice(of: ErrorKind.self, what: "error kind"), "With outcome failed: the error kind."),
        ScenarioKey("fails_within", .duration(.positive), "With a failure outcome: the failure came within this."),
    ]

    // MARK: names and patterns

    /// Letters, digits, `-` and `_` (any script's letters and digits, as the parser allows).
    static let namePattern = ##"^[^\s!"#$%&'()*+,./:;<=>?@\[\\\]^`{|}~]+$"##
}

/// One scenario file: the servers to start, the clients to connect, the timeline of faults and
/// expectations, and the assertions judged at the end.
public struct Scenario: Sendable, Codable {
    /// The scenario's name (unique in a run); defaults to the file name without `.yaml`.
    public var name: String
    /// One line saying what the scenario reproduces.
    public var description: String
    /// The file the scenario was read from.
    public var file: String
    /// Server version prefixes the scenario applies to (e.g. `["2.15"]`); empty means every version.
    public var serverVersions: [String]
    /// Why the scenario is limited to `serverVersions`, for the report of skipped runs.
    public var serverVersionsReason: String?
    public var servers: [ServerSpec]
    public var clients: [ClientSpec]
    public var steps: [Step]
    public var assertions: [Assertion]
    /// Where each assertion is written, by its index in `assertions`.
    public var assertionLocations: [SourceLocation] = []
    /// The longest the scenario may run before it is stopped and failed.
    public var timeout: Duration
    /// Drivers the file declares (`drivers:`), by name: the command's words as written, a relative
    /// path being relative to the file's folder.
    public var drivers: [String: [String]] = [:]
    /// The client libraries (drivers) the scenario is for (`only:`); nil: every one.
    public var only: LibraryScope? = nil
    /// Assertions limited to some libraries (`drivers:` beside the assertion), by their index in `assertions`.
    public var assertionDrivers: [Int: [String]] = [:]
    /// Documented client differences that make a check fail as declared (`known_differences:`).
    public var knownDifferences: [KnownDifference] = []
    /// The accounts of the scenario's operator (`accounts:`); when there are any, every server runs in operator mode
    /// and clients authenticate with the creds files of their users (`credentials:`).
    public var accounts: [AccountSpec] = []
    /// JetStream streams natsfault creates before the timeline starts (`streams:`).
    public var streams: [StreamSpec] = []
    /// Durable consumers natsfault creates once their streams exist (`consumers:`).
    public var consumers: [ConsumerSpec] = []

    /// The servers with JetStream on.
    public var jetStreamServers: [ServerSpec] { servers.filter { $0.config.jetStream != nil } }

    /// Whether a client of the scenario uses JetStream (a `js_publish`, `js_consume` or `js_stop` step): its driver
    /// needs the capability `jetstream`.
    public func usesJetStream(client: String) -> Bool {
        steps.contains { step in
            guard case .client(let action, let name) = step.action, name == client else { return false }
            switch action {
            case .jsPublish, .jsConsume, .jsStop: return true
            default: return false
            }
        }
    }

    /// Whether the servers run in operator mode (JWT authentication, with the scenario's `accounts`).
    public var operatorMode: Bool { !accounts.isEmpty }

    /// The user named `name` of any account.
    public func jwtUser(named name: String) -> JWTUser? { accounts.lazy.flatMap(\.users).first { $0.name == name } }

    /// Every fault the scenario injects, in timeline order, without repeats (for `list`).
    public var faultNames: [String] {
        var seen: [String] = []
        for step in steps {
            if case .fault(let fault) = step.action, !seen.contains(fault.base.reportedName) { seen.append(fault.base.reportedName) }
        }
        return seen
    }

    public func server(named name: String) -> ServerSpec? { servers.first { $0.name == name } }

    /// Where `client` reaches `server`: the server itself, or the proxy's listener for that link,
    /// `127.1.<client position>.<server position>` on the server's port.
    public func address(of server: ServerSpec, for client: ClientSpec) -> (host: String, port: Int) {
        References(servers: servers, clients: clients).address(of: server, for: client)
    }

    /// The proxy listener's address for the client at position `client` and the server at `server`.
    static func proxyHost(client: Int, server: Int) -> String { "127.1.\(client + 1).\(server + 1)" }

    /// The proxy listener that carries the route from the server at position `from` to the one at `to`:
    /// `127.2.<from position>.<to position>`, so that firewall rules can tell the routes of a cluster apart.
    public static func routeHost(from: Int, to: Int) -> String { "127.2.\(from + 1).\(to + 1)" }

    /// The members of `server`'s cluster other than itself, in declaration order.
    public func peers(of server: ServerSpec) -> [ServerSpec] {
        guard let cluster = server.config.cluster else { return [] }
        return servers.filter { $0.name != server.name && $0.config.cluster == cluster }
    }

    /// The URL `client` connects to for `server`.
    public func url(of server: ServerSpec, for client: ClientSpec) -> String {
        References(servers: servers, clients: clients).url(of: server.name, for: client.name)!
    }
    public func client(named name: String) -> ClientSpec? { clients.first { $0.name == name } }

    /// The driver that runs `client` when the run's library is `runDriver`: its pinned `driver:`, else the run's;
    /// nil for an application under test.
    public func driver(of client: String, run runDriver: String) -> String? {
        guard let spec = self.client(named: client), !spec.isApplication else { return nil }
        return spec.driver ?? runDriver
    }

    /// Whether any client follows the run's library (a client with no pinned `driver:` and no `command:`).
    /// A scenario where none does runs the same programs whatever `--client` says.
    public var followsRunDriver: Bool { clients.contains { !$0.isApplication && $0.driver == nil } }

    /// What a run of a scenario that no client of which follows the run's library is labelled with: the pinned
    /// drivers and `app:NAME` for each application, joined by `+` (`python`, `app:inventory`).
    public var fixedLabel: String {
        var parts: [String] = []
        for c in clients {
            let part = c.isApplication ? "app:\(c.name)" : c.driver ?? ""
            if !part.isEmpty, !parts.contains(part) { parts.append(part) }
        }
        return parts.joined(separator: "+")
    }

    /// The client that publishes or requests `stream`, from its entries or from a step.
    public func owner(ofStream stream: String) -> String? {
        for c in clients where c.publishers.contains(where: { $0.stream == stream }) || c.requesters.contains(where: { $0.stream == stream }) {
            return c.name
        }
        for step in steps {
            guard case .client(let action, let client) = step.action else { continue }
            switch action {
            case .publish(let p) where p.stream == stream: return client
            case .jsPublish(let p) where p.stream == stream: return client
            case .request(let r) where r.stream == stream: return client
            default: continue
            }
        }
        return nil
    }

    /// The client an assertion is about: the one it names, or the one publishing or requesting its stream.
    public func subjectClient(of assertion: Assertion) -> String? {
        switch assertion {
        case .events(let match, _): match.client
        case .order(let client, _): client
        case .messages(let m): m.client
        case .publishes(let p): owner(ofStream: p.stream)
        case .requests(let r): owner(ofStream: r.stream)
        case .jetstream(let j): j.consumerClient ?? owner(ofStream: j.stream)
        }
    }
}

/// The client libraries a scenario or a check is for, by driver name, and why.
public struct LibraryScope: Sendable, Hashable, Codable {
    public var drivers: [String]
    public var reason: String
    public init(drivers: [String], reason: String) {
        self.drivers = drivers
        self.reason = reason
    }
}

/// A documented way a client library differs (a finding in docs/client-differences.md) that makes one check of the
/// scenario fail: declared, it is shown as `differs (F1)` instead of a failure; gone, as `difference gone (F1)`.
public struct KnownDifference: Sendable, Hashable, Codable {
    /// The check it affects: a timeline step by its id, or an assertion by its index in `assert` (from 0).
    public enum Target: Sendable, Hashable, Codable, CustomStringConvertible {
        case step(String)
        case assertion(Int)
        public var description: String {
            switch self {
            case .step(let id): "step \(id)"
            case .assertion(let index): "assert[\(index)]"
            }
        }
    }
    /// The drivers (client libraries) that differ.
    public var drivers: [String]
    /// Which versions of the library (as its driver's hello reports it) differ; empty: every version.
    public var libraryVersions: [VersionConstraint]
    public var check: Target
    /// The finding's id in docs/client-differences.md (`F1`).
    public var finding: String
    /// One line saying what the library does.
    public var reason: String
    /// When set: the failing check's observed text must match this regular expression for the failure to be the
    /// declared one (anything else is a plain failure).
    public var observed: String?

    public init(drivers: [String], libraryVersions: [VersionConstraint], check: Target, finding: String, reason: String, observed: String?) {
        (self.drivers, self.libraryVersions, self.check, self.finding, self.reason, self.observed) = (drivers, libraryVersions, check, finding, reason, observed)
    }

    /// Whether it applies to `driver` with library version `version` (nil: unknown, which satisfies no version constraint).
    public func applies(to driver: String, version: String?) -> Bool {
        guard drivers.contains(driver) else { return false }
        guard !libraryVersions.isEmpty else { return true }
        guard let version else { return false }
        return libraryVersions.allSatisfy { $0.admits(version) }
    }
}

/// Compares dotted version numbers: negative, zero or positive.
public func compareVersions(_ a: String, _ b: String) -> Int {
    let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
    for i in 0..<max(x.count, y.count) {
        let d = (i < x.count ? x[i] : 0) - (i < y.count ? y[i] : 0)
        if d != 0 { return d }
    }
    return 0
}

/// The words a server's version may be besides a prefix: the oldest and the newest of the installed versions, and
/// (for a restart) the next installed version above the one the server runs.
public enum ServerVersionPin {
    public static let oldest = "oldest"
    public static let newest = "newest"
    public static let next = "next"
    public static let words: Set<String> = [oldest, newest, next]
}

/// A bound on a version, `>=2.6`, `<3`, `=2.16.0`: compared numerically, component by component (missing ones are 0).
public struct VersionConstraint: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable, Codable, CaseIterable { case atLeast = ">=", atMost = "<=", above = ">", below = "<", equal = "=" }
    public var op: Operator
    public var version: [Int]

    /// Reads `>=2.6`, `< 3`, `=2.16.0`; nil when it is not one.
    public init?(_ text: String) {
        let trimmed = text.filter { $0 != " " }
        guard let op = Operator.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }).first(where: { trimmed.hasPrefix($0.rawValue) }) else { return nil }
        guard let version = VersionConstraint.components(String(trimmed.dropFirst(op.rawValue.count))) else { return nil }
        self.op = op
        self.version = version
    }

    /// `2.16.0` → [2, 16, 0]; a leading `v` and a suffix after `-` or `+` are ignored; nil when it is not a version.
    public static func components(_ text: String) -> [Int]? {
        var core = Substring(text)
        if core.hasPrefix("v") { core = core.dropFirst() }
        if let cut = core.firstIndex(where: { $0 == "-" || $0 == "+" }) { core = core[..<cut] }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    public func admits(_ version: String) -> Bool {
        guard let v = Self.components(version) else { return false }
        let n = Swift.max(v.count, self.version.count)
        let a = v + Array(repeating: 0, count: n - v.count), b = self.version + Array(repeating: 0, count: n - self.version.count)
        let order = zip(a, b).first { $0 != $1 }.map { $0 < $1 ? -1 : 1 } ?? 0
        switch op {
        case .atLeast: return order >= 0
        case .atMost: return order <= 0
        case .above: return order > 0
        case .below: return order < 0
        case .equal: return order == 0
        }
    }

    public var description: String { op.rawValue + version.map(String.init).joined(separator: ".") }
}

/// A nats-server the scenario starts.
public struct ServerSpec: Sendable, Hashable, Codable {
    public var name: String
    /// The loopback address the server listens on inside the sandbox (127.0.0.1, 127.0.0.2, …).
    public var host: String
    public var port: Int
    /// The HTTP monitoring port.
    public var monitorPort: Int
    /// Whether the server starts before the timeline begins (false: a `start` step starts it).
    public var startAtBegin: Bool
    /// A version prefix (`2.9`, `2.15.1`) pinning this server to an installed binary of that version,
    /// whatever version the run uses; nil follows the run.
    public var version: String?
    public var config: ServerConfig

    public init(name: String, host: String, port: Int, monitorPort: Int, startAtBegin: Bool = true, version: String? = nil, config: ServerConfig = ServerConfig()) {
        self.name = name
        self.host = host
        self.port = port
        self.monitorPort = monitorPort
        self.startAtBegin = startAtBegin
        self.version = version
        self.config = config
    }

    /// The URL clients use to reach this server.
    public var url: String { "nats://\(host):\(port)" }
}

/// The nats-server settings a scenario may set; nil means the server's default.
public struct ServerConfig: Sendable, Hashable, Codable {
    public var pingInterval: Duration?
    public var pingMax: Int?
    public var maxConnections: Int?
    public var writeDeadline: Duration?
    public var maxPending: Int?
    /// The largest message payload the server accepts, in bytes.
    public var maxPayload: Int?
    public var users: [User]
    public var lameDuckGracePeriod: Duration?
    public var lameDuckDuration: Duration?
    /// The cluster this server belongs to: every server of the scenario with the same name gets
    /// routes to all the others.
    public var cluster: String?
    /// The port of the cluster listener (on the server's own address).
    public var clusterPort: Int = 6222
    /// JetStream, when on (`jetstream:`).
    public var jetStream: JetStreamConfig? = nil

    public init() { users = [] }
}

/// A user in the server's `authorization` block.
public struct User: Sendable, Hashable, Codable {
    public var user: String
    public var password: String
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

/// An account of the scenario's operator, with its users.
public struct AccountSpec: Sendable, Hashable, Codable {
    public var name: String
    public var users: [JWTUser]

    public init(name: String, users: [JWTUser]) {
        self.name = name
        self.users = users
    }
}

/// A user of an account: a JWT signed by the account, handed to clients in a creds file.
public struct JWTUser: Sendable, Hashable, Codable {
    public var name: String
    /// When the user's JWT expires; nil: never.
    public var expiry: CredentialExpiry?

    public init(name: String, expiry: CredentialExpiry?) {
        self.name = name
        self.expiry = expiry
    }

    /// Where the creds file of the user named `name` lives in the run's folder `directory`.
    public static func credsFile(of name: String, in directory: String) -> String { "\(directory)/\(name).creds" }
}

/// When a user JWT expires (its `exp` claim, in whole seconds of the wall clock).
public enum CredentialExpiry: Sendable, Hashable, Codable {
    /// This long after the timeline starts (a whole number of seconds: the run starts its timeline on a whole second).
    case afterStart(Duration)
    /// At this moment, in seconds since 1970 (`expires_at`).
    case at(Int64)

    /// The `exp` claim, for a timeline that started at `startSeconds` (seconds since 1970, whole).
    public func claim(timelineStart startSeconds: Int64) -> Int64 {
        switch self {
        case .afterStart(let d): startSeconds + d.components.seconds
        case .at(let seconds): seconds
        }
    }

    /// Whether the expiry depends on when the timeline starts.
    public var isRelative: Bool {
        if case .afterStart = self { return true }
        return false
    }
}

/// A client: one driver process wrapping one client library, with one connection.
public struct ClientSpec: Sendable, Hashable, Codable {
    public var name: String
    /// The driver to use; nil means the run's `--client`.
    public var driver: String?
    /// The servers (by name) in the connect URL list, in order.
    public var servers: [String]
    public var options: ConnectOptions
    /// Whether the client connects when the timeline begins (false: a `connect` step connects it).
    public var connectAtBegin: Bool
    /// Whether the client reaches its servers through the fault proxy (the default) or directly.
    public var link: LinkMode
    /// Driver capabilities the scenario needs (from the driver's hello); a driver lacking one skips the run.
    public var requires: [String]
    public var subscriptions: [Subscription]
    public var replies: [Reply]
    /// Publishers started as soon as the client is connected.
    public var publishers: [Publish]
    /// Requesters started as soon as the client is connected.
    public var requesters: [Request]
    /// The ADR-32 micro service the client runs once connected (needs the driver capability `service`).
    public var service: ServiceSpec? = nil
    /// For an application under test: the program and its arguments, as written (a relative path is relative to
    /// the scenario file's folder). nil for a client driven through a driver.
    public var command: [String]? = nil
    /// Environment variables an application gets besides `NATS_URL`, `NATS_URLS` and `NATS_CLIENT_NAME`.
    public var environment: [String: String] = [:]
    /// Micro services an application runs, by name (so that `probe_service` may name them).
    public var services: [String] = []
    /// The user (of the scenario's `accounts`) whose creds file the client authenticates with; nil: none.
    public var credentials: String? = nil

    /// Whether this client is an application under test rather than a driver.
    public var isApplication: Bool { command != nil }
}

/// An ADR-32 micro service: the driver's `service` op, answered on `$SRV.PING|INFO|STATS.<name>`.
public struct ServiceSpec: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var endpoints: [ServiceEndpoint]

    public init(name: String, version: String, endpoints: [ServiceEndpoint]) {
        self.name = name
        self.version = version
        self.endpoints = endpoints
    }
}

/// One endpoint of a micro service: requests on `subject` are answered with their own payload.
public struct ServiceEndpoint: Sendable, Hashable, Codable {
    public var name: String
    public var subject: String
    /// The queue group (the library's default, `q`, when nil).
    public var queue: String?

    public init(name: String, subject: String, queue: String?) {
        self.name = name
        self.subject = subject
        self.queue = queue
    }
}

/// How a client reaches its servers.
public enum LinkMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Through the fault proxy, one listener per server: socket and protocol faults can target it.
    case proxy
    /// Straight to the servers: proxy faults cannot touch it.
    case direct
}

/// Connect options from DRIVER-PROTOCOL.md; nil means the library's default.
public struct ConnectOptions: Sendable, Hashable, Codable {
    public var allowReconnect: Bool?
    public var maxReconnects: Int?
    public var reconnectWait: Duration?
    public var reconnectJitter: Duration?
    public var reconnectBufferBytes: Int?
    public var pingInterval: Duration?
    public var maxPingsOut: Int?
    public var connectTimeout: Duration?
    public var retryOnFailedConnect: Bool?
    public var noRandomize: Bool?
    public var ignoreDiscoveredServers: Bool?
    public var user: String?
    public var password: String?
    public var token: String?
    public var drainTimeout: Duration?
    /// The path of the creds file to authenticate with: not written under `options:`, but set when the client is
    /// connected, from its `credentials:` (the user's file in the run's folder).
    public var credentialsFile: String?

    public init() {}
}

public struct Subscription: Sendable, Hashable, Codable {
    public var subject: String
    public var queue: String?
    /// The subscription's name in reports; defaults to the subject.
    public var name: String
}

public struct Reply: Sendable, Hashable, Codable {
    public var subject: String
    public var queue: String?
}

/// Publish `count` numbered messages on `subject` as the stream `stream`.
public struct Publish: Sendable, Hashable, Codable {
    public var subject: String
    public var stream: String
    public var count: Int
    /// Messages per second; nil publishes as fast as the client can.
    public var ratePerSecond: Double?
    public var payloadBytes: Int?
}

/// Send `count` requests on `subject`, each waiting up to `timeout`.
public struct Request: Sendable, Hashable, Codable {
    public var subject: String
    public var stream: String
    public var count: Int
    public var timeout: Duration
    public var interval: Duration?
}

/// One step of the timeline.
public struct Step: Sendable, Codable {
    public enum Timing: Sendable, Hashable, Codable {
        /// Start this long after the previous step finished (zero: at once).
        case afterPrevious(Duration)
        /// Start at this offset from the scenario's start (or at once if that moment has passed).
        case at(Duration)
    }

    /// A name other steps' expectations can measure from (`since:`).
    public var id: String?
    public var timing: Timing
    public var action: Action
    public var location: SourceLocation
    /// For a step that judges: the drivers (client libraries) it is judged for (`drivers:`); nil: every one.
    public var drivers: [String]? = nil
}

/// What a step does.
public enum Action: Sendable, Codable {
    /// A fault on a server, a client's process, the proxy's links or the firewall.
    case fault(AnyFault)
    case client(ClientAction, client: String)
    case wait(Duration)
    case expect(EventExpectation)
    case expectAbsent(AbsenceExpectation)
    case heal(HealTarget)
    case expectServer(ServerExpectation)
    /// Requests sent by natsfault itself, straight to a server.
    case probe(ProbeRequests)
    /// The ADR-32 discovery subjects of a micro service must show a condition within a window.
    case probeService(ServiceProbe)
    /// Either-or: met when one of these expectations (`expect`, `expect_absent`) is met in its window.
    case anyOf([Action])
}

extension Action: CustomStringConvertible {
    /// Whether the step judges the run (an expectation, a server or service check, a probe that must be answered).
    public var judges: Bool {
        switch self {
        case .expect, .expectAbsent, .expectServer, .probeService, .anyOf: true
        case .probe(let p): p.within != nil
        default: false
        }
    }

    /// How the step reads in reports.
    public var description: String {
        switch self {
        case .fault(let fault): fault.base.description
        case .client(let a, let client): "\(a.name) client \(client)"
        case .wait(let d): "wait \(DurationText.format(d))"
        case .expect(let e): "expect \(e.match) \(e.count) " + e.windowText(after: e.since.map { "step \"\($0)\"" })
        case .expectAbsent(let e): "expect no \(e.match) for \(DurationText.format(e.duration))"
        case .heal(.all): "heal every lasting fault in effect"
        case .heal(.step(let id)): "heal \(id)"
        case .expectServer(let e): "expect \(e.condition.expected(server: e.server)) within \(DurationText.format(e.within))"
        case .probe(let p) where p.within != nil: "expect \(p.subject) on server \(p.server) to answer within \(DurationText.format(p.within!)) (stream \(p.stream))"
        case .probe(let p): "probe \(p.subject) on server \(p.server): \(p.count) request(s), timeout \(DurationText.format(p.timeout)), stream \(p.stream)"
        case .probeService(let p): "expect \(p.expected) within \(DurationText.format(p.within))"
        case .anyOf(let alternatives): "expect one of: " + alternatives.map { "(\($0.description.replacingPrefix("expect ", with: "")))" }.joined(separator: " or ")
        }
    }
}

/// A fault of any kind, as a timeline step holds it; encoded with its target and name so that the
/// sandboxed runner decodes the same fault type.
public struct AnyFault: Sendable, Codable {
    public let base: any Fault

    public init(_ base: any Fault) { self.base = base }

    private enum CodingKeys: String, CodingKey { case target, name, fault }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type(of: base).target, forKey: .target)
        try c.encode(type(of: base).name, forKey: .name)
        try c.encode(base, forKey: .fault)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let target = try c.decode(FaultTarget.self, forKey: .target), name = try c.decode(String.self, forKey: .name)
        guard let type = FaultCatalog.type(named: name, target: target) else {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "no \(target.rawValue) fault is named \(name)")
        }
        base = try c.decode(type, forKey: .fault)
    }
}

/// Requests natsfault sends itself (not through any client), straight to a server, in the background;
/// each outcome is recorded as a `request_result` of the probe's stream.
public struct ProbeRequests: Sendable, Hashable, Codable {
    public var subject: String
    public var server: String
    public var stream: String
    public var count: Int
    public var timeout: Duration
    public var interval: Duration?
    public var payloadBytes: Int?
    /// When set, the step is an expectation: requests are sent one after another until one is answered, or this
    /// window passes (and the step waits for that).
    public var within: Duration? = nil

    public init(subject: String, server: String, stream: String, count: Int, timeout: Duration, interval: Duration?, payloadBytes: Int?, within: Duration? = nil) {
        (self.subject, self.server, self.stream, self.count, self.timeout, self.interval, self.payloadBytes) = (subject, server, stream, count, timeout, interval, payloadBytes)
        self.within = within
    }
}

/// What `$SRV.PING.<service>` (instances), `$SRV.INFO.<service>` (subjects) and `$SRV.STATS.<service>`
/// (request and error counts, summed over the instances) must show, asked of one server.
public struct ServiceProbe: Sendable, Hashable, Codable {
    public var service: String
    public var server: String
    public var within: Duration
    public var instances: CountRange?
    public var subjects: [String]?
    public var requests: CountRange?
    public var errors: CountRange?

    public init(service: String, server: String, within: Duration, instances: CountRange?, subjects: [String]?, requests: CountRange?, errors: CountRange?) {
        (self.service, self.server, self.within, self.instances, self.subjects, self.requests, self.errors) = (service, server, within, instances, subjects, requests, errors)
    }
}

/// A timeline step: a server's monitoring port must show a condition within a window.
public struct ServerExpectation: Sendable, Hashable, Codable {
    public enum Condition: Sendable, Hashable, Codable {
        /// A closed connection (`/connz?state=closed`), of the named client if given, whose reason contains the text.
        case closed(client: String?, reason: String)
        /// This many open connections (`/connz`), of the named client if given.
        case open(client: String?, count: CountRange)
        /// A numeric `/varz` field in this range.
        case varz(field: String, count: CountRange)
        /// This many route connections (`/routez`), to the named peer if given (nats-server 2.10 and
        /// later pool several per peer).
        case routes(peer: String?, count: CountRange)
    }

    public var server: String
    public var condition: Condition
    public var within: Duration
}

/// The settings a `reload` step changes.
public struct ServerConfigChange: Sendable, Hashable, Codable {
    /// The new user list, replacing the old one.
    public var users: [User]?
    public var maxConnections: Int?
    public init() {}
}

/// Something a step tells a client to do.
public enum ClientAction: Sendable, Hashable, Codable {
    case connect
    case subscribe(Subscription)
    case reply(Reply)
    case publish(Publish)
    case request(Request)
    case flush(timeout: Duration)
    case drain
    case close
    case jsPublish(JSPublish)
    case jsConsume(JSConsume)
    /// Stops the client's `js_consume` of this name.
    case jsStop(sub: String)

    public var name: String {
        switch self {
        case .connect: "connect"
        case .subscribe: "subscribe"
        case .reply: "reply"
        case .publish: "publish"
        case .request: "request"
        case .flush: "flush"
        case .drain: "drain"
        case .close: "close"
        case .jsPublish: "js_publish"
        case .jsConsume: "js_consume"
        case .jsStop: "js_stop"
        }
    }
}

/// How many matching events an expectation accepts.
public struct CountRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var min: Int
    public var max: Int?

    public init(min: Int, max: Int?) {
        self.min = min
        self.max = max
    }

    public static func exactly(_ n: Int) -> CountRange { .init(min: n, max: n) }
    public static let atLeastOne = CountRange(min: 1, max: nil)

    public func contains(_ n: Int) -> Bool { n >= min && (max.map { n <= $0 } ?? true) }

    public var description: String {
        switch max {
        case .some(let m) where m == min: "exactly \(min)"
        case .some(let m) where min == 0: "at most \(m)"
        case .some(let m): "between \(min) and \(m)"
        case .none: "at least \(min)"
        }
    }
}

/// Which client events count for an expectation.
public struct EventMatch: Sendable, Hashable, Codable, CustomStringConvertible {
    public var client: String
    public var event: ClientEventKind
    /// When set, only events carrying this error kind count.
    public var error: ErrorKind?
    /// When set, only events naming this server's URL count (e.g. which server a client reconnected to).
    public var server: String?
    /// The URL of `server`, resolved when the file is read.
    public var serverURL: String?
    /// When set, only events whose text matches this regular expression count (an application's `output` lines,
    /// an `exited` status such as `exited\(0\)`).
    public var pattern: String? = nil
    /// When set, only events whose `wire_error` (the `-ERR` the server sent just before) contains this text,
    /// ignoring case, count.
    public var wireError: String? = nil

    public var description: String {
        "\(client): \(event.rawValue)" + (error.map { " (\($0.rawValue))" } ?? "") + (server.map { " to server \($0)" } ?? "")
            + (pattern.map { " matching /\($0)/" } ?? "") + (wireError.map { " after the server said '\($0)'" } ?? "")
    }
}

/// A timeline step: matching events must happen inside a window.
///
/// The window opens at the start of the step named `since` (or at this step's start) plus
/// `notBefore`, and closes `within` after that opening point. The step waits only as long as
/// needed: an open-ended count passes as soon as it is reached; an exact count waits for the window.
public struct EventExpectation: Sendable, Hashable, Codable {
    public var match: EventMatch
    public var within: Duration
    public var notBefore: Duration
    public var count: CountRange
    public var since: String?

    /// The window in words, measured from `anchor` (`step "down"`, `the action before it`; nil: left unsaid):
    /// `within 3s after step "down"`, `between +2s and +5s after step "down"`.
    public func windowText(after anchor: String?) -> String {
        let from = anchor.map { " after \($0)" } ?? ""
        guard notBefore > .zero else { return "within \(DurationText.format(within))" + from }
        return "between +\(DurationText.format(notBefore)) and +\(DurationText.format(notBefore + within))" + from
    }
}

/// A timeline step: no matching event for `duration` from the step's start.
public struct AbsenceExpectation: Sendable, Hashable, Codable {
    public var match: EventMatch
    public var duration: Duration
}

/// A check judged over the whole recorded timeline once the scenario has finished.
public enum Assertion: Sendable, Hashable, Codable {
    /// How many matching events happened over the whole scenario.
    case events(EventMatch, CountRange)
    /// These client events happened in this order (other events may come between).
    case order(client: String, events: [ClientEventKind])
    /// Message accounting for one publisher stream at one receiving subscription.
    case messages(MessageAccounting)
    /// Publish outcomes for one stream.
    case publishes(PublishOutcomes)
    /// Request outcomes for one stream.
    case requests(RequestOutcomes)
    /// What became of a JetStream publisher's acknowledged messages.
    case jetstream(JetStreamAccounting)
}

public struct MessageAccounting: Sendable, Hashable, Codable {
    public var stream: String
    /// The receiving client and its subscription name.
    public var client: String
    public var subscription: String
    public var received: CountRange?
    public var maxLost: Int?
    public var maxDuplicated: Int?
    public var maxReordered: Int?
    /// Every lost message was published while the publisher or the receiver was disconnected.
    public var lostOnlyDuringOutage: Bool
}

public struct PublishOutcomes: Sendable, Hashable, Codable {
    public var stream: String
    public var ok: CountRange?
    public var failed: CountRange?
    /// When set, every failed publish carries this error kind.
    public var failedError: ErrorKind?
    /// Outcomes of particular messages, by sequence number (`by_seq:`).
    public var bySeq: [SeqOutcome] = []
}

/// What must have happened to some messages or requests of a stream, named by sequence number.
public struct SeqOutcome: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Outcome: Sendable, Hashable, Codable, CustomStringConvertible {
        case ok
        /// Failed, with this error kind if given.
        case failed(ErrorKind?)
        public var description: String {
            switch self {
            case .ok: "ok"
            case .failed(nil): "failed"
            case .failed(let kind?): "failed with \(kind.rawValue)"
            }
        }
    }
    public var seqs: ClosedRange<Int>
    public var outcome: Outcome
    /// How soon after the driver sent it the outcome must have come (`fails_within`, `answers_within`).
    public var within: Duration?

    public init(seqs: ClosedRange<Int>, outcome: Outcome, within: Duration?) {
        (self.seqs, self.outcome, self.within) = (seqs, outcome, within)
    }

    public var description: String {
        (seqs.count == 1 ? "#\(seqs.lowerBound)" : "#\(seqs.lowerBound)-\(seqs.upperBound)") + " \(outcome)"
            + (within.map { " within \(DurationText.format($0)) of being sent" } ?? "")
    }
}

public struct RequestOutcomes: Sendable, Hashable, Codable {
    public var stream: String
    /// Allowed counts per outcome: `ok`, or an error kind's raw value.
    public var outcomes: [String: CountRange]
    /// Latency bound for successful requests at the 99th percentile.
    public var p99Below: Duration?
    /// Latency bound for every request, whatever its outcome (a failure must come fast, too).
    public var eachBelow: Duration? = nil
    /// Outcomes of particular requests, by sequence number (`by_seq:`).
    public var bySeq: [SeqOutcome] = []
}

extension ServerExpectation.Condition {
    /// What the condition asks for, in words.
    public func expected(server: String) -> String {
        switch self {
        case .closed(let client, let reason): "server \(server) closed \(client.map { "\($0)'s connection" } ?? "a connection") with a reason containing \"\(reason)\""
        case .open(let client, let count): "server \(server) has \(count) open connection(s)\(client.map { " named \($0)" } ?? "")"
        case .varz(let field, let count): "server \(server) /varz \(field) \(count)"
        case .routes(let peer, let count): "server \(server) has \(count) route connection(s)\(peer.map { " to server \($0)" } ?? "")"
        }
    }
}

extension ServiceProbe {
    /// What the probe asks for, in words.
    public var expected: String {
        var parts: [String] = []
        if let instances { parts.append("\(instances) instance(s)") }
        if let subjects { parts.append("subjects \(subjects.joined(separator: ", "))") }
        if let requests { parts.append("requests \(requests)") }
        if let errors { parts.append("errors \(errors)") }
        return "service \(service) on server \(server): " + parts.joined(separator: ", ")
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with new: String) -> String {
        hasPrefix(prefix) ? new + dropFirst(prefix.count) : self
    }
}

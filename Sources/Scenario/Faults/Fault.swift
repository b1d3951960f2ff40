/// A fault a timeline step injects: everything about it lives in its own file under `Faults/<target>/`.
///
/// A fault owns its keys and their validation (`parse`), its name, whether it lasts until healed or
/// happens once, whether it can break a connection, how reports describe it, and how it is applied
/// and healed — expressed against a `FaultContext`, so that what it does is plain code, testable
/// without processes, and the effects stay with the runner. The catalogue of faults is generated
/// from the files under `Faults/` at build time: adding a fault is adding its file (and its test).
public protocol Fault: Sendable, Codable, CustomStringConvertible {
    /// The name scenario files write: a timeline key (`restart`, `kill_client`, `firewall`), or for a
    /// proxy fault the value of `fault:` under `proxy:`.
    static var name: String { get }
    /// What the fault acts on, which also decides where scenario files write it.
    static var target: FaultTarget { get }
    /// The keys the fault takes, besides the ones every fault of its target takes: the parser reads them by this
    /// table, and the docs and the JSON Schema describe them from it.
    static var parameters: [ScenarioKey] { get }
    /// How errors name the mapping of its keys; by default "a NAME fault" for link faults, else "a NAME".
    static var what: String { get }
    /// What its timeline key takes: the name of what it acts on (no parameters), a mapping of its keys, or either
    /// (`restart: a` or `restart: {server: a, down: 2s}`). Link faults are written under `proxy:` instead.
    static var stepValue: ValueKind { get }
    /// One line saying what the fault does, for `natsfault list --faults` and the docs.
    static var summary: String { get }
    /// Whether the fault lasts until healed (by a `heal` step, or at the end of its `for`) rather than acting once.
    static var healable: Bool { get }
    /// Whether the fault cannot break a connection (starting or resuming something), so that outage
    /// accounting does not take it as the start of an outage.
    static var harmless: Bool { get }

    /// Reads the fault from its step.
    ///
    /// - Throws: `ScenarioError` naming `file:line:column`, what is wrong and what is allowed.
    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self

    /// How long the fault stays in effect.
    var lasting: Lasting { get }
    /// The client and server it concerns, for the recorded `fault` event.
    var subject: FaultSubject { get }
    /// The least time its step takes (a restart's down time); what depends on processes counts as nothing.
    var leastDuration: Duration { get }
    /// The name reports and `list` show; usually `Self.name`.
    var reportedName: String { get }
    /// The nats-server version it starts a server on (a restart with `version:`); nil for every other fault.
    var serverVersion: String? { get }

    /// Applies the fault.
    ///
    /// - Parameter step: the position of the step in the timeline, which names the fault until it is healed.
    func apply(in context: any FaultContext, step: Int) async throws
    /// Removes a lasting fault (called once, by a `heal` step or when `for:` runs out).
    func heal(in context: any FaultContext, step: Int) async throws
    /// Whether applying this fault ends `active`, a lasting fault still in effect (a resume ends a pause),
    /// so that nothing heals it again.
    func ends(_ active: any Fault) -> Bool
}

extension Fault {
    public static var harmless: Bool { false }
    public static var healable: Bool { false }
    public static var parameters: [ScenarioKey] { [] }
    public static var what: String { target == .link ? "a \(name) fault" : "a \(name.replacingOccurrences(of: "_", with: " "))" }
    public static var stepValue: ValueKind { parameters.isEmpty ? .name : .mapping(keys) }

    /// The keys its mapping takes: those every fault of its target takes, then its own.
    public static var keys: MappingKind {
        MappingKind(id: target == .link ? "proxy_\(name)" : name, what: what, keys: (target == .link ? ScenarioKeys.linkSelection : []) + parameters)
    }

    /// A fault written as a name alone, or as a mapping of its keys.
    static var nameOrKeys: ValueKind { .either([.name, .mapping(keys)]) }
    public var reportedName: String { Self.name }
    public var serverVersion: String? { nil }
    public var lasting: Lasting { .once }
    public var leastDuration: Duration { .zero }
    public func heal(in context: any FaultContext, step: Int) async throws {}
    public func ends(_ active: any Fault) -> Bool { false }
}

/// What a fault acts on; scenario files write server, client and firewall faults as timeline keys of
/// their own, and link faults under `proxy:` as `fault: NAME`.
public enum FaultTarget: String, Sendable, Codable, CaseIterable {
    case server
    case client
    /// The proxy's client × server links.
    case link
    /// The scenario's own firewall.
    case firewall
    /// The creds files of the users of the scenario's accounts (operator mode).
    case credentials
}

/// How long a fault stays in effect.
public enum Lasting: Sendable, Hashable, Codable {
    /// It acts once and leaves nothing to heal.
    case once
    /// It stays until a `heal` step (`for` nil) or heals by itself after `for`.
    case untilHealed(for: Duration?)

    public var healable: Bool { self != .once }
}

/// The client and server a fault concerns, as its recorded event names them.
public struct FaultSubject: Sendable, Hashable {
    public var client: String?
    public var server: String?

    public init(client: String? = nil, server: String? = nil) {
        self.client = client
        self.server = server
    }
}

/// A process signal a fault sends, by name.
public enum ProcessSignal: String, Sendable, Codable, CaseIterable {
    case term = "SIGTERM"
    case kill = "SIGKILL"
    case stop = "SIGSTOP"
    case cont = "SIGCONT"
    case usr2 = "SIGUSR2"
    case hup = "SIGHUP"
}

/// What faults act on: the run's servers, clients, proxy links and firewall.
///
/// The runner implements it with real processes, sockets and iptables rules; faults only say what
/// to do, in the scenario's own names.
public protocol FaultContext: Sendable {
    /// Starts a server and waits until it accepts clients; its proxy links then listen. With `version`, on the
    /// installed nats-server of that version (a prefix, or oldest or newest), from then on.
    func startServer(_ name: String, version: String?) async throws
    /// Signals a server and waits until it has exited; its proxy links stop listening.
    func stopServer(_ name: String, with signal: ProcessSignal) async throws
    /// Sends a signal to a running server.
    func signalServer(_ name: String, _ signal: ProcessSignal) async throws
    /// Rewrites a server's configuration with `change` and asks it to reload.
    func reloadServer(_ name: String, _ change: ServerConfigChange) async throws
    /// Sends a signal to a client's process (its driver, or the application under test).
    func signalClient(_ name: String, _ signal: ProcessSignal) async throws
    /// Writes a fresh creds file for a user of the scenario's accounts in place of the old one, its JWT expiring as given.
    func rotateCredentials(_ user: String, expiry: CredentialExpiry?) async throws
    /// SIGKILLs a client's process, then starts it again and connects it as at the start.
    func restartClient(_ name: String) async throws
    /// Puts a link fault on the links of `client` (nil: every proxied client) to `server` (nil: every server).
    func addLinkFault(_ fault: any LinkFault, step: Int, client: String?, server: String?) async throws
    /// Takes the link fault of timeline step `step` off every link it was put on.
    func removeLinkFault(step: Int) async throws
    /// Adds firewall rules in the run's own network namespace, in one commit.
    func addFirewallRules(_ rules: [FirewallRule]) async throws
    /// Removes firewall rules added by `addFirewallRules`.
    func removeFirewallRules(_ rules: [FirewallRule]) async throws
    /// Waits, as part of a fault (a restart's down time).
    func wait(_ duration: Duration) async throws
    /// The seed for what the fault of timeline step `step` draws at random: from the run's seed, so that a replay
    /// with the same seed draws the same.
    func seed(forStep step: Int) -> UInt64
}

/// Seeds derived from one seed and names, the same on every machine and in every process (not `Hasher`, which
/// is seeded afresh per process).
public enum Seeds {
    /// A seed for `parts` under `seed`: FNV-1a over the parts, mixed with the seed by SplitMix64.
    public static func derive(_ seed: UInt64, _ parts: String...) -> UInt64 {
        derive(seed, parts)
    }

    /// A seed for `parts` under `seed`, the parts given as an array.
    public static func derive(_ seed: UInt64, _ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1f}").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var generator = SeededGenerator(seed: seed ^ hash)
        return generator.next()
    }
}

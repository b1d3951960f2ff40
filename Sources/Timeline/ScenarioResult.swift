/// Everything one run of one scenario against one client and one server version produced.
public struct ScenarioResult: Codable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        case passed
        /// An expectation or assertion did not hold.
        case failed
        /// The harness could not carry out the scenario (a server would not start, a driver died at start, …).
        case error
        /// Not applicable (a capability or server version the scenario needs).
        case skipped
        /// Every check held except ones that failed as a declared known difference of the client library says.
        case differs
    }

    public var scenario: String
    public var file: String
    public var description: String
    public var client: String
    public var serverVersion: String
    public var outcome: Outcome
    /// Why it errored or was skipped.
    public var reason: String?
    /// Whether the run had its own user, network and PID namespaces.
    public var sandboxed = false
    /// Wall time of the whole run including start and teardown, in seconds.
    public var wallSeconds: Double
    /// Time from the timeline's start to its end, in seconds.
    public var timelineSeconds: Double
    /// The monotonic time the timeline started, origin of every relative time in reports.
    public var startNs: Int64
    public var checks: [Check]
    public var events: [RecordedEvent]
    /// The last lines of each server's log and each driver's stderr, by name.
    public var logs: [String: String]
    /// The folder holding everything the run left to look at (full logs, transcripts, configs, `result.json`),
    /// when it was kept (`--keep`); relative to the results folder when that holds it.
    public var artifacts: String?
    /// What re-running exactly this run takes: its command and what it depends on.
    public var replay: Replay?
    /// With `--repeat`: which attempt of its cell this run was (1, 2, …); nil for a single run.
    public var attempt: Int?
    /// Where the run stands in its suite's plan, counted from 0 over every shard: merged shards come back in planned order.
    public var position: Int?
    /// Each driver's client library and version from its hello (`nats.c 3.4.1`), by client.
    public var libraries: [String: String]?
    /// Clients that ran another driver than the run's column says (their own `driver:`), by client: what actually ran.
    public var pinned: [String: String]?

    public init(scenario: String, file: String, description: String, client: String, serverVersion: String,
                outcome: Outcome, reason: String? = nil, wallSeconds: Double = 0, timelineSeconds: Double = 0,
                startNs: Int64 = 0, checks: [Check] = [], events: [RecordedEvent] = [], logs: [String: String] = [:]) {
        self.scenario = scenario
        self.file = file
        self.description = description
        self.client = client
        self.serverVersion = serverVersion
        self.outcome = outcome
        self.reason = reason
        self.wallSeconds = wallSeconds
        self.timelineSeconds = timelineSeconds
        self.startNs = startNs
        self.checks = checks
        self.events = events
        self.logs = logs
    }

    /// The reason of a run that SIGINT or SIGTERM stopped before it finished, or before it started.
    public static let interruptedReason = "not run (interrupted)"

    /// Whether SIGINT or SIGTERM stopped the run before it finished (it is skipped, with `interruptedReason`).
    public var interrupted: Bool { outcome == .skipped && reason == Self.interruptedReason }

    /// `scenario [client × nats-server version]`, as reports name a run.
    public static func title(scenario: String, client: String, serverVersion: String) -> String {
        "\(scenario) [\(client) × nats-server \(serverVersion)]"
    }

    /// The declared known differences the run's checks showed (`differs`) or no longer showed (`gone`), in check order.
    public var differences: [DifferenceMark] {
        var seen: [DifferenceMark] = []
        for c in checks { if let d = c.difference, !seen.contains(d) { seen.append(d) } }
        return seen
    }

    /// Whether the run counts against the suite: it failed or errored.
    public var isFailure: Bool { outcome == .failed || outcome == .error }

    /// The declared differences that did not happen: the library may have changed.
    public var differencesGone: [DifferenceMark] { differences.filter(\.gone) }

    /// How reports name a run's declared differences: `difference gone (F1)` when one did not happen, else
    /// `differs (F1)`; nil when it has none.
    public var differenceVerdict: String? {
        if !differencesGone.isEmpty { return "difference gone (\(Self.findings(differencesGone)))" }
        let differing = differences.filter { !$0.gone }
        return differing.isEmpty ? nil : "differs (\(Self.findings(differing)))"
    }

    /// `F1, F3`: the findings of `marks`.
    public static func findings(_ marks: [DifferenceMark]) -> String { marks.map(\.finding).joined(separator: ", ") }

    /// `scenario [client × server]`, as reports name a run.
    public var title: String { Self.title(scenario: scenario, client: client, serverVersion: serverVersion) }
}

/// The inputs of one run, so that it can be carried out again exactly: `natsfault replay` checks them first.
public struct Replay: Codable, Sendable, Hashable {
    /// The one line that re-runs it.
    public var command: String
    /// The seed every random choice of the run was drawn from.
    public var seed: UInt64
    /// SHA-256 of the scenario file as it was run.
    public var scenarioChecksum: String
    /// The client driver's library and version, from its hello (nil: it never said hello).
    public var library: String?
    /// The nats-server binary, in words (`nats-server 2.15.1 at /usr/sbin/nats-server`), its path and its SHA-256.
    public var serverBinary: String
    public var serverPath: String
    public var serverChecksum: String

    public init(command: String, seed: UInt64, scenarioChecksum: String, library: String?, serverBinary: String, serverPath: String, serverChecksum: String) {
        (self.command, self.seed, self.scenarioChecksum, self.library, self.serverBinary, self.serverPath, self.serverChecksum) =
            (command, seed, scenarioChecksum, library, serverBinary, serverPath, serverChecksum)
    }
}

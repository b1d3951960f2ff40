public import NATSFaultScenario

/// The outcome of one expectation or assertion, with what was expected and what was seen.
public struct Check: Codable, Sendable, Hashable {
    public var passed: Bool
    /// What the scenario asked for, in words.
    public var expected: String
    /// What happened, in words.
    public var observed: String
    /// When the check was decided (monotonic ns), for placing it on the timeline.
    public var decidedAtNs: Int64?
    /// The scenario file place of the step or assertion, `file:line:column`.
    public var location: String?
    /// Where the step or assertion is written in the scenario file (nil for the harness's own checks).
    public var source: SourceLocation?
    /// For a timeline expectation: the window it watched and what it saw there (assertions over the whole run have none).
    public var window: CheckWindow?
    /// Set when a declared known difference covers this check: it failed as declared (`differs`), or passed (`gone`).
    public var difference: DifferenceMark?

    /// Whether the check counts against the run: it failed, and no declared difference covers the failure.
    public var fails: Bool { !passed && difference == nil }

    public init(passed: Bool, expected: String, observed: String, decidedAtNs: Int64? = nil, location: String? = nil, window: CheckWindow? = nil) {
        self.passed = passed
        self.expected = expected
        self.observed = observed
        self.decidedAtNs = decidedAtNs
        self.location = location
        self.window = window
    }
}

/// The stretch of time an expectation watched, on the monotonic clock, and the matching events it saw.
public struct CheckWindow: Codable, Sendable, Hashable {
    /// The client (or server) whose events it watched: the lane reports draw it over.
    public var client: String?
    public var server: String?
    /// Where it measured from: its `since` step, or the action before it.
    public var anchorNs: Int64
    /// From when a matching event counts (`anchor + not_before`).
    public var opensNs: Int64
    /// Until when a matching event counts (`within` after the opening, and past the step's own start).
    public var closesNs: Int64
    /// Every matching event seen from the anchor on, in the window or not (too early, late).
    public var seenNs: [Int64]
    /// Other clients the check concerns (the publishers of a stream whose messages were lost).
    public var otherClients: [String] = []

    public init(client: String? = nil, server: String? = nil, anchorNs: Int64, opensNs: Int64, closesNs: Int64, seenNs: [Int64] = []) {
        self.client = client
        self.server = server
        self.anchorNs = anchorNs
        self.opensNs = opensNs
        self.closesNs = closesNs
        self.seenNs = seenNs
    }
}

/// A timeline step's expectation while it is being watched.
public enum StepDecision: Sendable, Hashable {
    /// Not decided yet: keep watching until the deadline.
    case pending(deadlineNs: Int64)
    case decided(Check)
}

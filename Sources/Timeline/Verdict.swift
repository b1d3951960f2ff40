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

    public init(passed: Bool, expected: String, observed: String, decidedAtNs: Int64? = nil, location: String? = nil) {
        self.passed = passed
        self.expected = expected
        self.observed = observed
        self.decidedAtNs = decidedAtNs
        self.location = location
    }
}

/// A timeline step's expectation while it is being watched.
public enum StepDecision: Sendable, Hashable {
    /// Not decided yet: keep watching until the deadline.
    case pending(deadlineNs: Int64)
    case decided(Check)
}

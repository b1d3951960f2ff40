public import NATSFaultScenario

/// Where each expectation of a timeline measures from, as the steps are played.
///
/// An expectation with `since` measures from the start of that step. One without measures from the
/// latest action (a fault, a heal, a client action) — so that what the action causes is not missed
/// while an earlier expectation was still being decided — and still waits its window past its own start.
/// A `wait` step clears the latest action: an expectation after a wait measures from its own start.
public struct ExpectationAnchors: Sendable {
    private var stepStarts: [String: Int64] = [:]
    private var lastActionStart: Int64?

    public init() {}

    /// Notes that `step` began at `ns`.
    public mutating func began(_ step: Step, at ns: Int64) {
        if let id = step.id { stepStarts[id] = ns }
    }

    /// Notes that `step`, begun at `ns`, is over.
    public mutating func ended(_ step: Step, began ns: Int64) {
        switch step.action {
        case let action where action.judges: break
        case .wait: lastActionStart = nil
        default: lastActionStart = ns
        }
    }

    /// Where an expectation that began at `ns` opens its window (`anchorNs`), and the step start its window
    /// must still reach past (nil: the anchor itself, for an expectation with `since`).
    public func anchor(since: String?, stepBegan ns: Int64) -> (anchorNs: Int64, stepStartNs: Int64?) {
        if let since = since.flatMap({ stepStarts[$0] }) { return (since, nil) }
        return (lastActionStart ?? ns, ns)
    }
}

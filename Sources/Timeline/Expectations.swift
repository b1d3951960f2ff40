public import NATSFaultScenario

extension EventExpectation {
    /// Judges the expectation against the events seen so far.
    ///
    /// - Parameters:
    ///   - events: everything recorded up to `now`.
    ///   - anchorNs: when the measured-from step started (monotonic ns).
    ///   - nowNs: the current monotonic time; events after it are not considered.
    /// - Returns: `.pending` while the answer can still change, else the decided check.
    ///   - stepStartNs: when the expectation's own step started, if it measures from an earlier step it follows
    ///     (the action that causes what it expects): the window then stays open at least `within` past this.
    public func decide(events: [RecordedEvent], anchorNs: Int64, nowNs: Int64, stepStartNs: Int64? = nil) -> StepDecision {
        let opens = anchorNs + notBefore.nanoseconds
        let closes = Swift.max(opens + within.nanoseconds, (stepStartNs ?? anchorNs) + within.nanoseconds)
        let matching = events.filter { $0.matches(match) && $0.monoNs >= anchorNs && $0.monoNs <= nowNs }
        let window = CheckWindow(client: match.client, anchorNs: anchorNs, opensNs: opens, closesNs: closes, seenNs: matching.map(\.monoNs))
        // What the window measures from: the step named in `since`, else the action before it, or the expectation's own start.
        let anchor = since.map { "step \"\($0)\"" } ?? (stepStartNs != anchorNs ? "the action before it" : notBefore > .zero ? "it starts" : nil)
        let expected = "\(match) \(count) time\((count.max ?? count.min) == 1 ? "" : "s") " + windowText(after: anchor)

        if let early = matching.first(where: { $0.monoNs < opens }) {
            return .decided(Check(passed: false, expected: expected,
                observed: "it came too early, at \(milliseconds(early.monoNs - anchorNs))" + describe(early),
                decidedAtNs: nowNs, window: window))
        }
        let inWindow = matching.filter { $0.monoNs <= closes }
        let times = inWindow.map { milliseconds($0.monoNs - anchorNs) + describe($0) }.joined(separator: ", ")
        let observed = inWindow.isEmpty ? "none" + lateNote(matching, closes: closes, anchorNs: anchorNs) : "\(inWindow.count) at \(times)"
        if let max = count.max, inWindow.count > max {
            return .decided(Check(passed: false, expected: expected, observed: observed, decidedAtNs: nowNs, window: window))
        }
        if count.max == nil, inWindow.count >= count.min {
            return .decided(Check(passed: true, expected: expected, observed: observed, decidedAtNs: nowNs, window: window))
        }
        if nowNs >= closes {
            return .decided(Check(passed: count.contains(inWindow.count), expected: expected, observed: observed, decidedAtNs: nowNs, window: window))
        }
        return .pending(deadlineNs: closes)
    }

    private func lateNote(_ matching: [RecordedEvent], closes: Int64, anchorNs: Int64) -> String {
        guard let late = matching.first(where: { $0.monoNs > closes }) else { return "" }
        return " in the window (one came late, at \(milliseconds(late.monoNs - anchorNs)))"
    }
}

extension AbsenceExpectation {
    /// Judges the absence expectation: fails at the first matching event, passes once `duration` has gone by.
    public func decide(events: [RecordedEvent], anchorNs: Int64, nowNs: Int64, stepStartNs: Int64? = nil) -> StepDecision {
        let ends = Swift.max(anchorNs, stepStartNs ?? anchorNs) + duration.nanoseconds
        let expected = "no \(match) for \(DurationText.format(duration))"
        let seen = events.filter { $0.matches(match) && $0.monoNs >= anchorNs && $0.monoNs <= nowNs }.map(\.monoNs)
        let window = CheckWindow(client: match.client, anchorNs: anchorNs, opensNs: anchorNs, closesNs: ends, seenNs: seen)
        if let hit = events.first(where: { $0.matches(match) && $0.monoNs >= anchorNs && $0.monoNs <= Swift.min(ends, nowNs) }) {
            return .decided(Check(passed: false, expected: expected,
                observed: "one at \(milliseconds(hit.monoNs - anchorNs))" + describe(hit), decidedAtNs: nowNs, window: window))
        }
        if nowNs >= ends { return .decided(Check(passed: true, expected: expected, observed: "none", decidedAtNs: nowNs, window: window)) }
        return .pending(deadlineNs: ends)
    }
}

/// `+1234ms` style offsets, as reports show them.
func milliseconds(_ ns: Int64) -> String {
    let ms = Double(ns) / 1e6
    return ms >= 0 ? "+\(Int(ms.rounded()))ms" : "\(Int(ms.rounded()))ms"
}

func describe(_ event: RecordedEvent) -> String {
    event.errorDescription.map { " (\($0))" } ?? ""
}

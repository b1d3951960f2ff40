extension Scenario {
    /// The soonest each timeline step can end, from the timeline's start, in step order: what must pass for the scenario
    /// to pass.
    ///
    /// Counted are `at:` and `after:`, `wait`s, a restart's `down`, an `expect_absent`'s `for`, and an `expect` with an
    /// exact or bounded count (`count`, `max`), which waits for its window to close: `within` after it opens, which is
    /// `not_before` after the start of its `since` step, and without `since` never before `within` past its own start.
    /// An `any_of` ends with its soonest alternative. What depends on processes (a server's start, a connect) and
    /// what can be decided at once (an open-ended count, a server check) counts as nothing.
    public var earliestStepEnds: [Duration] {
        var ends: [Duration] = []
        var starts: [String: Duration] = [:]
        var clock = Duration.zero
        for step in steps {
            let start = switch step.timing {
            case .at(let offset): max(clock, offset)
            case .afterPrevious(let pause): clock + pause
            }
            if let id = step.id { starts[id] = start }
            clock = start + Self.least(step.action, start: start, starts: starts)
            ends.append(clock)
        }
        return ends
    }

    private static func least(_ action: Action, start: Duration, starts: [String: Duration]) -> Duration {
        switch action {
        case .wait(let pause): pause
        case .fault(let fault): fault.base.leastDuration
        case .expectAbsent(let absence): absence.duration
        case .expect(let expectation) where expectation.count.max != nil:
            if let anchor = expectation.since.flatMap({ starts[$0] }) {
                max(.zero, anchor + expectation.notBefore + expectation.within - start)
            } else {
                expectation.within
            }
        case .anyOf(let alternatives): alternatives.map { least($0, start: start, starts: starts) }.min() ?? .zero
        default: .zero
        }
    }
}

extension Scenario {
    /// How long the timeline takes as declared: its waits and `at:` offsets, the time faults take by design (a
    /// restart's down time), the check windows a step must wait out (an exact or bounded count, an absence) and,
    /// for one that passes as soon as it sees its events, its `not_before`; publishers, requesters and probes
    /// running to their last message at their declared pace.
    ///
    /// Starting and stopping servers and clients, and the time a client takes to do what an expectation waits for,
    /// are not in it. It is what shards are balanced by when no measured times are given.
    public var expectedDuration: Duration {
        var now = Duration.zero
        var end = Duration.zero
        var starts: [String: Duration] = [:]
        func background(_ length: Duration) { end = max(end, now + length) }
        for client in clients {
            for p in client.publishers { background(p.expectedDuration) }
            for r in client.requesters { background(r.expectedDuration) }
        }
        for step in steps {
            switch step.timing {
            case .afterPrevious(let delay): now += delay
            case .at(let offset): now = max(now, offset)
            }
            if let id = step.id { starts[id] = now }
            switch step.action {
            case .client(.publish(let p), _): background(p.expectedDuration)
            case .client(.request(let r), _): background(r.expectedDuration)
            case .client(.jsPublish(let p), _): background(p.ratePerSecond.map { .seconds(Double(p.count) / $0) } ?? .zero)
            case .probe(let p) where p.within == nil: background(p.interval.map { $0 * p.count } ?? .zero)
            default: now = max(now + step.action.expectedDuration, Self.sinceEnd(of: step.action, starts: starts))
            }
        }
        return max(now, end)
    }

    /// Where an expectation measuring from an earlier step (`since:`) is expected to end; zero for other steps.
    private static func sinceEnd(of action: Action, starts: [String: Duration]) -> Duration {
        switch action {
        case .expect(let e): e.since.flatMap { starts[$0] }.map { $0 + e.expectedWait } ?? .zero
        case .anyOf(let alternatives): alternatives.map { sinceEnd(of: $0, starts: starts) }.min() ?? .zero
        default: .zero
        }
    }
}

extension Action {
    /// How long the step is expected to take from its own start: a wait, a fault's time, a window it must wait out.
    /// Server and service checks end as soon as what they poll for holds.
    var expectedDuration: Duration {
        switch self {
        case .wait(let d): d
        case .fault(let fault): fault.base.leastDuration
        case .expect(let e): e.since == nil ? e.expectedWait : .zero
        case .expectAbsent(let e): e.duration
        // Met by the first alternative that is.
        case .anyOf(let alternatives): alternatives.map(\.expectedDuration).min() ?? .zero
        case .expectServer, .probe, .probeService, .client, .heal: .zero
        }
    }
}

extension EventExpectation {
    /// From where it measures: to its window's end for a count it must wait out, to its opening for one it passes at once.
    var expectedWait: Duration { count.max == nil ? notBefore : notBefore + within }
}

extension Publish {
    /// `count` messages at the declared rate; at once without one.
    var expectedDuration: Duration { ratePerSecond.map { .seconds(Double(count) / $0) } ?? .zero }
}

extension Request {
    /// `count` requests, `interval` apart.
    var expectedDuration: Duration { interval.map { $0 * count } ?? .zero }
}

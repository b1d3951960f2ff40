public import NATSFaultScenario

extension Assertion {
    /// Judges the assertion over the whole recorded scenario.
    public func check(_ events: [RecordedEvent]) -> Check {
        switch self {
        case .events(let match, let count):
            let hits = events.filter { $0.matches(match) }
            let kinds = Dictionary(grouping: events.filter { $0.client == match.client && $0.event == EventName(match.event) }, by: { $0.error?.kind ?? "no error" })
                .map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
            return Check(passed: count.contains(hits.count), expected: "\(match) \(count) times over the scenario",
                         observed: "\(hits.count)" + (match.error != nil && !kinds.isEmpty ? " (all \(match.event.rawValue) events: \(kinds))" : ""))
        case .order(let client, let order):
            let seen = events.filter { $0.client == client && $0.event.clientEvent != nil }.map(\.event.rawValue)
            var index = 0
            for name in seen where index < order.count && name == order[index].rawValue { index += 1 }
            return Check(passed: index == order.count,
                         expected: "\(client): \(order.map(\.rawValue).joined(separator: " → ")) in this order",
                         observed: seen.isEmpty ? "no events" : seen.joined(separator: " → "))
        case .messages(let accounting):
            return accounting.check(events)
        case .publishes(let outcomes):
            return outcomes.check(events)
        case .requests(let outcomes):
            return outcomes.check(events)
        case .jetstream(let accounting):
            return accounting.check(events)
        }
    }
}

/// What happened to one publisher stream at one subscription.
public struct MessageTally: Sendable, Hashable {
    public var published: Int
    public var received: Int
    public var lost: [Int]
    public var duplicated: Int
    public var reordered: Int
    /// Lost sequence numbers that were published outside every outage window.
    public var lostOutsideOutage: [Int]
    /// When the first and the last lost message were published (nil: none was lost).
    public var lostPublished: ClosedRange<Int64>?
}

extension MessageAccounting {
    /// Counts sent, received, lost, duplicated and reordered messages of the stream at the subscription.
    public func tally(_ events: [RecordedEvent]) -> MessageTally {
        var publishedAt: [Int: Int64] = [:]
        for e in events where e.event == .published && e.stream == stream && e.ok == true {
            guard let seqs = e.seqs else { continue }
            for s in seqs { publishedAt[s] = e.monoNs }
        }
        let arrivals = events.filter {
            $0.event == .message && $0.client == client && $0.stream == stream
                && (subscription.isEmpty || $0.sub == subscription)
        }.flatMap { $0.seqs.map(Array.init) ?? [] }  // a driver may report a run of messages as one range
        let distinct = Set(arrivals)
        var reordered = 0
        var highest = Int.min
        for s in arrivals {
            if s < highest { reordered += 1 }
            highest = Swift.max(highest, s)
        }
        let lost = publishedAt.keys.filter { !distinct.contains($0) }.sorted()
        let outages = outageWindows(events, clients: Set(events.filter { $0.event == .published && $0.stream == stream }.compactMap(\.client) + [client]))
        let outside = lost.filter { seq in
            let t = publishedAt[seq]!
            return !outages.contains { $0.contains(t) }
        }
        let lostTimes = lost.compactMap { publishedAt[$0] }
        return MessageTally(published: publishedAt.count, received: arrivals.count, lost: lost,
                            duplicated: arrivals.count - distinct.count, reordered: reordered, lostOutsideOutage: outside,
                            lostPublished: lostTimes.min().map { $0...lostTimes.max()! })
    }

    func check(_ events: [RecordedEvent]) -> Check {
        let t = tally(events)
        var wanted: [String] = []
        var ok = true
        if let received { wanted.append("received \(received)"); ok = ok && received.contains(t.received) }
        if let maxLost { wanted.append("lost at most \(maxLost)"); ok = ok && t.lost.count <= maxLost }
        if let maxDuplicated { wanted.append("duplicated at most \(maxDuplicated)"); ok = ok && t.duplicated <= maxDuplicated }
        if let maxReordered { wanted.append("reordered at most \(maxReordered)"); ok = ok && t.reordered <= maxReordered }
        if lostOnlyDuringOutage { wanted.append("lost only while disconnected"); ok = ok && t.lostOutsideOutage.isEmpty }
        var observed = "published \(t.published), received \(t.received), lost \(t.lost.count), duplicated \(t.duplicated), reordered \(t.reordered)"
        if !t.lost.isEmpty { observed += "; lost seqs \(ranges(t.lost))" }
        if !t.lostOutsideOutage.isEmpty { observed += "; lost outside an outage: \(ranges(t.lostOutsideOutage))" }
        // What reports show around it: from the first lost message's publication to the last's.
        var window = t.lostPublished.map { CheckWindow(client: client, anchorNs: $0.lowerBound, opensNs: $0.lowerBound, closesNs: $0.upperBound) }
        window?.otherClients = Array(Set(events.filter { $0.event == .published && $0.stream == stream }.compactMap(\.client))).sorted()
        return Check(passed: ok, expected: "stream \(stream) at \(client)\(subscription.isEmpty ? "" : "/" + subscription): " + wanted.joined(separator: ", "),
                     observed: observed, window: window)
    }
}

/// How long before a fault a message may have been published and still be in flight when it struck.
let inFlightAllowanceNs: Int64 = 250_000_000

/// With more than one server, how long after a client's (re)connect its subscriptions may take to reach the other
/// servers over the routes: the client has sent them by the time it reports the reconnect, but a message published
/// on another node in between finds no interest there (seen: losses 1–3 ms after a reconnect, in rolling-upgrade).
let interestPropagationNs: Int64 = 100_000_000

/// Periods during which a message may be lost: from just before the fault (or disconnect) that began
/// an outage to the reconnect that ended it, for any of the given clients.
///
/// The window starts at the latest disruptive fault before the disconnect, less an in-flight
/// allowance, because messages published shortly before a server dies, or between its death and the
/// client noticing, are lost in flight, not by the client's fault.
func outageWindows(_ events: [RecordedEvent], clients: Set<String>) -> [ClosedRange<Int64>] {
    var windows: [ClosedRange<Int64>] = []
    let servers = Set(events.filter { $0.event == .serverReady }.compactMap(\.server))
    let settling = servers.count > 1 ? interestPropagationNs : 0
    // Faults that cannot break a connection (starting or resuming something) begin no outage.
    let faults = events.filter { $0.event == .fault && !FaultCatalog.isHarmless($0.fault ?? "start") }.map(\.monoNs)
    for client in clients {
        var start: Int64?
        for e in events where e.client == client {
            switch e.event {
            case .disconnected where start == nil:
                start = faults.last(where: { $0 <= e.monoNs }).map { $0 - inFlightAllowanceNs } ?? e.monoNs
            case .reconnected, .connected:
                if let s = start { windows.append(s...(e.monoNs + settling)); start = nil }
            case .closed, .exited:
                if let s = start { windows.append(s...e.monoNs); start = nil }
            default: break
            }
        }
        if let s = start { windows.append(s...Int64.max) }
    }
    return windows
}

extension PublishOutcomes {
    func check(_ events: [RecordedEvent]) -> Check {
        var okCount = 0, failedCount = 0
        var kinds: [String: Int] = [:]
        for e in events where e.stream == stream {
            guard let succeeded = e.publishSucceeded else { continue }
            let n = e.seqs?.count ?? 1
            if succeeded { okCount += n } else {
                failedCount += n
                kinds[e.error?.kind ?? "unknown", default: 0] += n
            }
        }
        var wanted: [String] = []
        var passed = true
        if let ok { wanted.append("ok \(ok)"); passed = passed && ok.contains(okCount) }
        if let failed { wanted.append("failed \(failed)"); passed = passed && failed.contains(failedCount) }
        if let failedError {
            wanted.append("every failure \(failedError.rawValue)")
            passed = passed && kinds.keys.allSatisfy { $0 == failedError.rawValue }
        }
        let kindText = kinds.isEmpty ? "" : " (" + kinds.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ") + ")"
        var observed = "ok \(okCount), failed \(failedCount)\(kindText)"
        if !bySeq.isEmpty {
            let outcomes = events.filter { $0.publishSucceeded != nil && $0.stream == stream }
            let (held, seen) = SeqOutcome.judge(bySeq, outcome: { seq in
                outcomes.last { $0.seqs?.contains(seq) == true }.map { e in
                    // A range's call time is its longest call: it bounds each of its messages.
                    (e.publishSucceeded == true, e.error, e.callNs, e.seqs!.count > 1)
                }
            })
            wanted += bySeq.map(\.description)
            passed = passed && held
            observed += "; " + seen
        }
        return Check(passed: passed, expected: "stream \(stream) publishes: " + wanted.joined(separator: ", "), observed: observed)
    }
}

extension RequestOutcomes {
    func check(_ events: [RecordedEvent]) -> Check {
        let results = events.filter { $0.event == .requestResult && $0.stream == stream }
        var counts: [String: Int] = [:]
        for r in results { counts[r.ok == true ? "ok" : (r.error?.kind ?? "other"), default: 0] += 1 }
        var passed = true
        var wanted: [String] = []
        for (outcome, range) in outcomes.sorted(by: { $0.key < $1.key }) {
            wanted.append("\(outcome) \(range)")
            passed = passed && range.contains(counts[outcome] ?? 0)
        }
        var observed = counts.isEmpty ? "no results" : counts.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")
        if let p99Below {
            let latencies = results.filter { $0.ok == true }.compactMap(\.latencyNs).sorted()
            let p99 = latencies.isEmpty ? nil : latencies[Swift.min(latencies.count - 1, Int((Double(latencies.count) * 0.99).rounded(.up)) - 1)]
            wanted.append("p99 latency below \(DurationText.format(p99Below))")
            passed = passed && (p99.map { $0 < p99Below.nanoseconds } ?? false)
            observed += "; p99 " + (p99.map { "\(Double($0) / 1e6)ms" } ?? "n/a")
        }
        if let eachBelow {
            let slowest = results.compactMap(\.latencyNs).max()
            wanted.append("each answered or failed within \(DurationText.format(eachBelow))")
            passed = passed && !results.isEmpty && results.allSatisfy { ($0.latencyNs ?? .max) < eachBelow.nanoseconds }
            observed += "; slowest " + (slowest.map { "\(Double($0) / 1e6)ms" } ?? "n/a")
        }
        if !bySeq.isEmpty {
            let (held, seen) = SeqOutcome.judge(bySeq, outcome: { seq in
                results.last { $0.seq == seq }.map { ($0.ok == true, $0.error, $0.latencyNs, false) }
            })
            wanted += bySeq.map(\.description)
            passed = passed && held
            observed += "; " + seen
        }
        return Check(passed: passed, expected: "stream \(stream) requests: " + wanted.joined(separator: ", "), observed: observed)
    }
}

extension SeqOutcome {
    /// Judges `by_seq` entries against each message's outcome: (ok, error, time from sending to the outcome, whether
    /// that time is a range's longest); returns whether all held and what each entry saw.
    static func judge(_ entries: [SeqOutcome], outcome: (Int) -> (ok: Bool, error: ClientError?, ns: Int64?, ofRange: Bool)?) -> (Bool, String) {
        var held = true
        var seen: [String] = []
        for entry in entries {
            var wrong: [String] = []
            var times: [Int64] = []
            for seq in entry.seqs {
                guard let o = outcome(seq) else { wrong.append("#\(seq): no outcome reported"); continue }
                let what = o.ok ? "ok" : "failed" + (o.error.map { " with \($0.kind)" } ?? "")
                switch entry.outcome {
                case .ok where !o.ok, .failed where o.ok: wrong.append("#\(seq) \(what)")
                case .failed(let kind?) where o.error?.kind != kind.rawValue: wrong.append("#\(seq) \(what)")
                default: break
                }
                if let within = entry.within {
                    guard let ns = o.ns else { wrong.append("#\(seq): the driver reports no time from sending to the outcome"); continue }
                    times.append(ns)
                    if ns > within.nanoseconds { wrong.append("#\(seq) \(what) after \(milliseconds(ns).dropFirst())\(o.ofRange ? " (the longest call of its range)" : "")") }
                }
            }
            held = held && wrong.isEmpty
            let label = entry.seqs.count == 1 ? "#\(entry.seqs.lowerBound)" : "#\(entry.seqs.lowerBound)-\(entry.seqs.upperBound)"
            if wrong.isEmpty {
                seen.append("\(label) \(entry.outcome)" + (times.max().map { ", \(times.count > 1 ? "the slowest " : "")after \(String(format: "%.3f", Double($0) / 1e6))ms" } ?? ""))
            } else {
                seen.append(wrong.prefix(5).joined(separator: ", ") + (wrong.count > 5 ? ", … (\(wrong.count) in all)" : ""))
            }
        }
        return (held, seen.joined(separator: "; "))
    }
}

/// `1-5, 9, 12-13`
func ranges(_ sorted: [Int]) -> String {
    var parts: [String] = []
    var i = 0
    while i < sorted.count {
        var j = i
        while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
        parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
        i = j + 1
    }
    return parts.count > 20 ? parts.prefix(20).joined(separator: ", ") + ", …" : parts.joined(separator: ", ")
}

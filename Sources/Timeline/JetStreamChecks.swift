public import NATSFaultScenario

/// What became of one JetStream publisher's messages: acknowledged, delivered, read back from the stream.
public struct JetStreamTally: Sendable {
    /// Publishes with an outcome (`js_ack` or `js_publish_failed`).
    public var published = 0
    public var acked = 0
    public var failed = 0
    /// Acknowledgements the stream flagged as duplicates (the msg id was stored already).
    public var duplicateAcks = 0
    /// Distinct messages the consumer received.
    public var delivered = 0
    /// Deliveries beyond each message's first.
    public var duplicates = 0
    /// Deliveries flagged as redeliveries by the server (delivered > 1).
    public var redelivered = 0
    /// Acknowledged publishes that were neither delivered nor found in the stream at the end.
    public var ackedLost: [Int] = []
    /// Publishes that failed (no acknowledgement) yet were delivered or found in the stream: not a loss, but shown.
    public var unackedLanded: [Int] = []
    /// First deliveries whose stream sequence was not above every earlier one at the consumer (a message received again is
    /// a duplicate, counted in `duplicates`, not disorder).
    public var outOfOrder = 0
    /// The first of them: (payload seq, its stream sequence, the highest stream sequence seen before it).
    public var firstOutOfOrder: (seq: Int, jsSeq: Int, after: Int)? = nil
    /// Each server's replica of the stream at the end: (server, messages, first…last sequence).
    public var replicas: [(server: String, messages: Int, first: Int, last: Int)] = []
    /// Messages natsfault read back from the stream at the end.
    public var readBack = 0
    /// Whether natsfault read the stream's state at the end (false: the stream could not be read).
    public var streamRead = false
    /// The consumer's acknowledgement floor at the end (stream sequence), when natsfault read it.
    public var ackFloor: Int? = nil
    /// How long after the timeline the replicas took to agree (or natsfault gave up waiting).
    public var convergedAfterNs: Int64? = nil
    /// Why natsfault could not read the stream's messages back, when it could not.
    public var readFailure: String? = nil
    /// How many sequences natsfault read on the replicas, and where two replicas hold different messages at one
    /// sequence: (sequence, what was found).
    public var replicaSample = 0
    public var contentDiffers: [(jsSeq: Int, text: String)] = []

    /// Whether every replica read holds the same messages (by count and sequence range).
    public var replicasAgree: Bool {
        guard let first = replicas.first else { return true }
        return replicas.allSatisfy { ($0.messages, $0.first, $0.last) == (first.messages, first.first, first.last) }
    }

    /// Replicas that hold less than the most advanced one, and only that: a prefix of its sequences (catching up).
    public var lagging: [String] {
        guard let ahead = replicas.max(by: { $0.last < $1.last }) else { return [] }
        return replicas.filter { $0.last < ahead.last && $0.messages <= ahead.messages }.map(\.server)
    }

    /// Replicas whose state no lag explains: the same last sequence with other messages, or more messages than the most
    /// advanced replica (by what each server reports). Content differences (`contentDiffers`) cannot be pinned on one.
    public var divergent: [String] {
        guard let ahead = replicas.max(by: { ($0.last, $0.messages) < ($1.last, $1.messages) }) else { return [] }
        return replicas.filter { r in
            (r.last == ahead.last && (r.messages, r.first) != (ahead.messages, ahead.first)) || r.messages > ahead.messages
        }.map(\.server)
    }

    /// Whether the replicas diverged: by their states, or by holding different messages at one sequence.
    public var diverged: Bool { !divergent.isEmpty || !contentDiffers.isEmpty }
}

extension JetStreamAccounting {
    /// Tallies the publisher stream's outcomes, the consumer's deliveries and natsfault's read-back in one pass over
    /// flat per-sequence arrays (a byte and two bytes per published message), so that a million messages are judged
    /// in well under a second.
    public func tally(_ events: [RecordedEvent]) -> JetStreamTally {
        var t = JetStreamTally()
        var highest = 0
        for e in events where e.stream == stream && (e.event == .jsAck || e.event == .jsPublishFailed) {
            if let s = e.seqs { highest = Swift.max(highest, s.upperBound) }
        }
        // A message the stream still holds counts as not lost only while the consumer has yet to acknowledge it (above its
        // acknowledgement floor): one at or below the floor was acknowledged by the consumer, so it was delivered, and a
        // delivery the client never reported is a message the application lost.
        var floor = 0
        for e in events where e.event == .jsConsumerState && e.jsStream == jsStream && e.client == consumerClient && e.sub == consumerSub {
            floor = e.jsSeq ?? 0
            t.ackFloor = floor
        }
        // Per publish sequence: 0 no outcome, 1 acknowledged, 2 failed; bit 4: in the stream and not yet acknowledged by
        // the consumer (or in the stream at all, without a consumer).
        var state = [UInt8](repeating: 0, count: highest + 1)
        var deliveries = [UInt16](repeating: 0, count: highest + 1)
        var lastJSSeq = 0
        let consumerSub = consumerSub, consumerClient = consumerClient
        for e in events {
            switch e.event {
            case .jsAck where e.stream == stream:
                guard let s = e.seqs else { continue }
                for seq in s where seq >= 1 { state[seq] = (state[seq] & 4) | 1 }
                if e.duplicate == true { t.duplicateAcks += s.count }
            case .jsPublishFailed where e.stream == stream:
                guard let s = e.seqs else { continue }
                for seq in s where seq >= 1 && state[seq] & 3 == 0 { state[seq] = (state[seq] & 4) | 2 }
            case .jsMessage where e.stream == stream && e.client == consumerClient && e.sub == consumerSub:
                guard let seq = e.seq, seq >= 1 else { continue }
                // A message this consumer had already received is a duplicate, not disorder, whatever its delivery count
                // says (a consumer leader that took over after a crash may resend with the count still 1).
                let again = seq <= highest && deliveries[seq] > 0
                if seq <= highest, deliveries[seq] < .max { deliveries[seq] += 1 }
                let redelivery = (e.delivered ?? 1) > 1
                if redelivery { t.redelivered += 1 }
                if let js = e.jsSeq {
                    if !redelivery, !again, js <= lastJSSeq {
                        t.outOfOrder += 1
                        if t.firstOutOfOrder == nil { t.firstOutOfOrder = (seq, js, lastJSSeq) }
                    }
                    lastJSSeq = Swift.max(lastJSSeq, js)
                }
            case .jsStored where e.jsStream == jsStream && e.stream == stream:
                t.readBack += 1
                if let seq = e.seq, seq >= 1, seq <= highest, (e.jsSeq ?? .max) > floor { state[seq] |= 4 }
            case .log where e.jsStream == jsStream:
                t.readFailure = e.text
            case .jsReplicaSample where e.jsStream == jsStream:
                t.replicaSample = e.messages ?? 0
            case .jsReplicaDiffers where e.jsStream == jsStream:
                t.contentDiffers.append((e.jsSeq ?? 0, e.text ?? ""))
            case .jsStreamState where e.jsStream == jsStream:
                t.streamRead = true
                t.convergedAfterNs = e.latencyNs
                t.replicas.append((e.server ?? "?", e.messages ?? 0, e.from ?? 0, e.to ?? 0))
            default: continue
            }
        }
        for seq in stride(from: 1, through: highest, by: 1) {
            let outcome = state[seq] & 3, stored = state[seq] & 4 != 0, n = Int(deliveries[seq])
            if n > 0 { t.delivered += 1; t.duplicates += n - 1 }
            switch outcome {
            case 1:
                t.acked += 1
                if n == 0 && !stored { t.ackedLost.append(seq) }
            case 2:
                t.failed += 1
                if n > 0 || stored { t.unackedLanded.append(seq) }
            default: continue
            }
        }
        t.published = t.acked + t.failed
        t.replicas.sort { $0.server < $1.server }
        return t
    }

    func check(_ events: [RecordedEvent]) -> Check {
        let t = tally(events)
        var wanted: [String] = []
        var passed = true
        if let ackedLost {
            wanted.append("acknowledged but lost at most \(ackedLost)")
            passed = passed && t.ackedLost.count <= ackedLost
        }
        if let maxDuplicates {
            wanted.append("duplicate deliveries at most \(maxDuplicates)")
            passed = passed && t.duplicates <= maxDuplicates
        }
        if orderStream {
            wanted.append("stream order at the consumer")
            passed = passed && t.outOfOrder == 0
        }
        if replicasAgree {
            wanted.append("replicas agree (a replica still catching up is shown, not failed)")
            passed = passed && t.streamRead && !t.diverged
        }
        // Without a consumer, the read-back is the only evidence: a stream that could not be read judges nothing.
        if consumerClient == nil, !t.streamRead, t.acked > 0 {
            passed = false
        }
        var observed = "published \(t.published): acknowledged \(t.acked), failed \(t.failed)"
        if t.duplicateAcks > 0 { observed += " (\(t.duplicateAcks) acknowledged as duplicates)" }
        if let consumerClient, let consumerSub {
            observed += "; \(consumerClient)/\(consumerSub) received \(t.delivered) distinct, \(t.duplicates) duplicate deliveries, \(t.redelivered) redelivered"
        }
        observed += "; acknowledged but lost \(t.ackedLost.count)"
        if !t.ackedLost.isEmpty { observed += " (seqs \(ranges(t.ackedLost)))" }
        if !t.unackedLanded.isEmpty { observed += "; failed yet stored (unacked landed) \(t.unackedLanded.count): seqs \(ranges(t.unackedLanded))" }
        if let o = t.firstOutOfOrder { observed += "; \(t.outOfOrder) out of stream order, first #\(o.seq) at stream seq \(o.jsSeq) after \(o.after)" }
        if t.streamRead {
            observed += "; at the end " + t.replicas.map { "\($0.server) held \($0.messages) (\($0.first)-\($0.last))" }.joined(separator: ", ")
            let after = t.convergedAfterNs.map { " \(String(format: "%.1f", Double($0) / 1e9)) s after the timeline" } ?? ""
            if !t.divergent.isEmpty {
                observed += " (divergent: \(t.divergent.joined(separator: ", "))\(after.isEmpty ? "" : ",")\(after))"
            } else if !t.contentDiffers.isEmpty {
                observed += " (diverged: different messages at one sequence\(after.isEmpty ? "" : ",")\(after))"
            } else if !t.replicasAgree {
                observed += " (\(t.lagging.joined(separator: ", ")) still catching up\(after))"
            } else if let ns = t.convergedAfterNs, ns >= 1_000_000_000 {
                observed += " (agreeing\(after))"
            }
            if t.readBack > 0 { observed += ", \(t.readBack) read back" }
            if let floor = t.ackFloor { observed += ", the consumer's acknowledgement floor at stream seq \(floor)" }
            if t.replicaSample > 0 { observed += "; contents of \(t.replicaSample) sequences compared across the replicas" }
            if !t.contentDiffers.isEmpty {
                observed += ", \(t.contentDiffers.count) with different messages on different replicas: " + t.contentDiffers.prefix(3).map(\.text).joined(separator: "; ") + (t.contentDiffers.count > 3 ? " …" : "")
            }
        } else {
            observed += "; natsfault could not read stream \(jsStream) at the end"
        }
        if let failure = t.readFailure { observed += "; \(failure)" }
        let who = consumerClient.map { " at \($0)/\(consumerSub ?? "")" } ?? ""
        return Check(passed: passed, expected: "JetStream stream \(jsStream), publisher stream \(stream)\(who): " + wanted.joined(separator: ", "), observed: observed)
    }
}

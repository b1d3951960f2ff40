@testable import NATSFaultScenario
@testable import NATSFaultTimeline
import Testing

/// The `jetstream` assertion's checker on recorded events, as drivers and natsfault's read-back write them.
struct JetStreamCheckTests {
    private static func ack(_ seq: Int, js: Int, duplicate: Bool = false) -> RecordedEvent {
        var e = RecordedEvent(monoNs: Int64(seq) * 1_000_000, client: "pub", event: .jsAck)
        (e.stream, e.seq, e.jsStream, e.jsSeq, e.duplicate) = ("p", seq, "S", js, duplicate)
        return e
    }

    private static func failed(_ seq: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: Int64(seq) * 1_000_000, client: "pub", event: .jsPublishFailed, error: ClientError(kind: "timeout"))
        (e.stream, e.seq) = ("p", seq)
        return e
    }

    private static func delivered(_ seq: Int, js: Int, times: Int = 1, sub: String = "w") -> RecordedEvent {
        var e = RecordedEvent(monoNs: Int64(seq) * 1_000_000 + 1, client: "con", event: .jsMessage)
        (e.stream, e.seq, e.jsStream, e.jsSeq, e.sub, e.delivered) = ("p", seq, "S", js, sub, times)
        return e
    }

    private static func stored(_ seq: Int, js: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: 9_000_000_000, server: "a", event: .jsStored)
        (e.stream, e.seq, e.jsStream, e.jsSeq) = ("p", seq, "S", js)
        return e
    }

    private static func state(_ server: String, messages: Int, first: Int, last: Int) -> RecordedEvent {
        var e = RecordedEvent(monoNs: 9_000_000_000, server: server, event: .jsStreamState)
        (e.jsStream, e.messages, e.from, e.to) = ("S", messages, first, last)
        return e
    }

    private let accounting = JetStreamAccounting(stream: "p", jsStream: "S", consumerClient: "con", consumerSub: "w",
                                                 ackedLost: 0, maxDuplicates: 0, orderStream: true, replicasAgree: true)

    @Test func everyAcknowledgedMessageDeliveredPasses() {
        var events: [RecordedEvent] = []
        for seq in 1...100 { events += [Self.ack(seq, js: seq), Self.delivered(seq, js: seq)] }
        events += [Self.state("a", messages: 100, first: 1, last: 100), Self.state("b", messages: 100, first: 1, last: 100)]
        let check = Assertion.jetstream(accounting).check(events)
        #expect(check.passed, "\(check.observed)")
        let t = accounting.tally(events)
        #expect((t.acked, t.delivered, t.ackedLost, t.duplicates) == (100, 100, [], 0))
    }

    /// A consumer that acknowledges before processing and drops every 100th message: the dropped ones were acknowledged
    /// by the stream, never reported by the consumer, and (acked by the consumer) not read back as pending either.
    @Test func aConsumerThatDropsAcknowledgedMessagesFails() {
        var events: [RecordedEvent] = []
        for seq in 1...1000 {
            events.append(Self.ack(seq, js: seq))
            if seq % 100 != 0 { events.append(Self.delivered(seq, js: seq)) }
        }
        events.append(Self.state("a", messages: 0, first: 1001, last: 1000))
        let check = Assertion.jetstream(accounting).check(events)
        #expect(!check.passed)
        #expect(accounting.tally(events).ackedLost == Array(stride(from: 100, through: 1000, by: 100)))
        #expect(check.observed.contains("acknowledged but lost 10 (seqs 100, 200, 300"), "\(check.observed)")
    }

    /// What the consumer missed but the stream still holds at the end is not lost; what failed yet landed is shown.
    @Test func theReadBackAccountsForUndeliveredAndUnacknowledgedMessages() {
        var events = [Self.ack(1, js: 1), Self.delivered(1, js: 1), Self.ack(2, js: 2), Self.failed(3), Self.ack(4, js: 4), Self.delivered(4, js: 4)]
        events += [Self.stored(2, js: 2), Self.stored(3, js: 3), Self.state("a", messages: 4, first: 1, last: 4)]
        let t = accounting.tally(events)
        #expect(t.ackedLost == [])
        #expect(t.unackedLanded == [3])
        #expect(Assertion.jetstream(accounting).check(events).passed)
    }

    @Test func redeliveriesAreNotDisorderButFirstDeliveriesOutOfOrderAre() {
        let inOrder = [Self.ack(1, js: 1), Self.ack(2, js: 2), Self.delivered(1, js: 1), Self.delivered(2, js: 2), Self.delivered(1, js: 1, times: 2)]
        var t = accounting.tally(inOrder)
        #expect((t.outOfOrder, t.redelivered, t.duplicates) == (0, 1, 1))
        // Sent again with its delivery count still 1 (a consumer leader taking over after a crash): a duplicate.
        let resent = [Self.ack(1, js: 1), Self.ack(2, js: 2), Self.delivered(1, js: 1), Self.delivered(2, js: 2), Self.delivered(2, js: 2)]
        t = accounting.tally(resent)
        #expect((t.outOfOrder, t.duplicates) == (0, 1))
        let swapped = [Self.ack(1, js: 1), Self.ack(2, js: 2), Self.delivered(2, js: 2), Self.delivered(1, js: 1)]
        t = accounting.tally(swapped)
        #expect(t.outOfOrder == 1)
        #expect(t.firstOutOfOrder?.seq == 1)
    }

    /// A replica holding a prefix of the others is catching up: shown, not failed. One holding other messages for the
    /// same sequences, or more than the most advanced replica, has diverged.
    @Test func replicasThatDivergeFailAndOnesCatchingUpAreShown() {
        var events: [RecordedEvent] = []
        for seq in 1...10 { events += [Self.ack(seq, js: seq), Self.delivered(seq, js: seq)] }
        var lag = Self.state("b", messages: 8, first: 1, last: 8)
        lag.latencyNs = 20_000_000_000
        let catchingUp = Assertion.jetstream(accounting).check(events + [Self.state("a", messages: 10, first: 1, last: 10), lag])
        #expect(catchingUp.passed, "\(catchingUp.observed)")
        #expect(catchingUp.observed.contains("a held 10 (1-10), b held 8 (1-8) (b still catching up 20.0 s after the timeline)"), "\(catchingUp.observed)")
        let split = Assertion.jetstream(accounting).check(events + [Self.state("a", messages: 10, first: 1, last: 10), Self.state("b", messages: 9, first: 1, last: 10)])
        #expect(!split.passed)
        #expect(split.observed.contains("divergent: b"), "\(split.observed)")
    }

    /// Replicas that agree by counts but hold different messages at one sequence (found on 2.9.10 after a partitioned
    /// leader rejoined, and confirmed in the servers' store files) fail.
    @Test func replicasWithDifferentMessagesAtASequenceDiverge() {
        var events: [RecordedEvent] = []
        for seq in 1...10 { events += [Self.ack(seq, js: seq), Self.delivered(seq, js: seq)] }
        events += [Self.state("a", messages: 10, first: 1, last: 10), Self.state("b", messages: 10, first: 1, last: 10)]
        var sample = RecordedEvent(monoNs: 9_000_000_001, event: .jsReplicaSample)
        (sample.jsStream, sample.messages) = ("S", 10)
        var differs = RecordedEvent(monoNs: 9_000_000_002, event: .jsReplicaDiffers, text: "seq 7 holds message 7 of p or message 8 of p")
        (differs.jsStream, differs.jsSeq) = ("S", 7)
        #expect(Assertion.jetstream(accounting).check(events + [sample]).passed)
        let check = Assertion.jetstream(accounting).check(events + [sample, differs])
        #expect(!check.passed)
        #expect(check.observed.contains("(diverged: different messages at one sequence)"), "\(check.observed)")
        #expect(check.observed.contains("contents of 10 sequences compared across the replicas, 1 with different messages on different replicas: seq 7 holds message 7 of p or message 8 of p"), "\(check.observed)")
    }

    /// Without a consumer the stream's contents are the only evidence: a stream natsfault could not read fails the check.
    @Test func withoutAConsumerAnUnreadStreamJudgesNothing() {
        let bare = JetStreamAccounting(stream: "p", jsStream: "S", consumerClient: nil, consumerSub: nil, ackedLost: 0, maxDuplicates: nil, orderStream: false, replicasAgree: false)
        let check = Assertion.jetstream(bare).check([Self.ack(1, js: 1)])
        #expect(!check.passed)
        #expect(check.observed.contains("could not read stream S"))
        #expect(Assertion.jetstream(bare).check([Self.ack(1, js: 1), Self.stored(1, js: 1), Self.state("a", messages: 1, first: 1, last: 1)]).passed)
    }

    /// A range of acknowledgements (`from`…`to`) counts each message.
    @Test func acknowledgementRangesCountEachMessage() {
        var range = RecordedEvent(monoNs: 1, client: "pub", event: .jsAck)
        (range.stream, range.from, range.to, range.jsStream, range.jsSeqFrom) = ("p", 1, 500, "S", 1)
        let t = accounting.tally([range, Self.state("a", messages: 500, first: 1, last: 500)] + (1...500).map { Self.delivered($0, js: $0) })
        #expect((t.acked, t.delivered, t.ackedLost.count) == (500, 500, 0))
    }
}

import NATSFaultReporting
@testable import NATSFaultRunner
import Testing

/// The conformance judgements that read only what drivers wrote: the hello line, and the checks over every line
/// of every session (output, shared clock, error kinds, acks).
struct ConformanceJudgementTests {
    /// A transcript as a driver process would leave it: spawned at `spawnedNs`, `commands` commands sent, and each
    /// line received 1 ms after the last.
    static func transcript(_ label: String, spawnedNs: Int64 = 1_000_000_000, commands: Int, _ lines: [String]) -> Transcript {
        let t = Transcript(label: label)
        t.spawnedNs = spawnedNs
        for _ in 0..<commands { t.commandSent() }
        for (i, line) in lines.enumerated() { t.append(line, receivedNs: spawnedNs + Int64(i + 1) * 1_000_000) }
        return t
    }

    static let hello = #"{"event":"hello","protocol":1,"library":"nats.go","library_version":"1.22.1","capabilities":["service"],"mono_ns":1000500000}"#

    /// A clean session: hello, two acked commands, an event with a vocabulary error kind, all on the shared clock.
    static func goodSession(_ label: String = "main") -> Transcript {
        transcript(label, commands: 2, [
            hello,
            #"{"event":"ack","id":1,"ok":true,"mono_ns":1001500000}"#,
            #"{"event":"connected","url":"nats://127.0.0.1:4222","mono_ns":1002500000}"#,
            #"{"event":"ack","id":2,"ok":false,"error":{"kind":"no_responders","message":"no responders"},"mono_ns":1003500000}"#,
        ])
    }

    static func verdicts(_ checks: [ConformanceCheck]) -> [String: ConformanceCheck.Verdict] {
        Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.verdict) })
    }

    @Test func aGoodHelloHasNoProblems() {
        #expect(Conformance.helloProblems(Self.goodSession().first { $0.event == "hello" }) == [])
    }

    @Test func aHelloMissingItsFieldsNamesEachOne() {
        let t = Self.transcript("main", commands: 0, [#"{"event":"hello","protocol":2,"library":"","capabilities":"service"}"#])
        #expect(Conformance.helloProblems(t.first { $0.event == "hello" }) == [
            "\"protocol\" must be 1", "\"library\" must name the client library", "\"library_version\" must be given",
            "\"capabilities\" must be a list of strings", "\"mono_ns\" missing",
        ])
        #expect(Conformance.helloProblems(nil) == ["no hello line in the transcript"])
    }

    @Test func cleanSessionsPassEveryCheckOverTheirLines() {
        let checks = Conformance.transcriptChecks([Self.goodSession("main"), Self.goodSession("refused")])
        #expect(checks.map(\.name) == ["output", "shared clock", "error kinds", "acks"])
        #expect(checks.allSatisfy { $0.verdict == .pass }, "\(checks)")
        #expect(checks[0].detail == "8 lines, each a JSON object with an \"event\"")
        #expect(checks[2].detail == "all from the shared vocabulary: no_responders ×2")
        #expect(checks[3].detail == "4 commands, at most one ack each, none unasked")
    }

    @Test func noLinesAtAllIsNoCheck() {
        #expect(Conformance.transcriptChecks([Self.transcript("main", commands: 0, [])]).isEmpty)
    }

    @Test func aLineThatIsNotAJSONObjectWithAnEventFailsOutput() {
        let t = Self.transcript("main", commands: 0, [Self.hello, "this is not json", #"{"mono_ns":1000000000}"#])
        let output = Conformance.transcriptChecks([t])[0]
        #expect(output.verdict == .fail)
        #expect(output.detail == #"2 lines are not JSON objects with an "event", e.g. main: this is not json | main: {"mono_ns":1000000000}"#)
    }

    /// A wall-clock timestamp lies far outside [driver start, arrival]; so does one stamped before the driver started.
    @Test func timestampsOffTheSharedClockFailIt() {
        let t = Self.transcript("main", commands: 0, [
            Self.hello,
            #"{"event":"connected","mono_ns":1764500000000000000}"#,
            #"{"event":"disconnected","mono_ns":999000000}"#,
            #"{"event":"closed"}"#,
        ])
        let clock = Conformance.transcriptChecks([t])[1]
        #expect(clock.verdict == .fail)
        #expect(clock.detail.hasPrefix("3 events off the shared CLOCK_MONOTONIC, e.g. main: mono_ns 1764500000000000000 outside [driver start 1000000000, received 1002000000]"))
        #expect(clock.detail.contains("main: no integer mono_ns"))
    }

    @Test func anErrorKindOutsideTheVocabularyFailsErrorKinds() {
        let t = Self.transcript("main", commands: 1, [
            Self.hello,
            #"{"event":"ack","id":1,"ok":false,"error":{"kind":"nobody_home"},"mono_ns":1001500000}"#,
        ])
        let kinds = Conformance.transcriptChecks([t])[2]
        #expect(kinds.verdict == .fail)
        #expect(kinds.detail.hasPrefix("not in the shared vocabulary: nobody_home; allowed: "))
    }

    @Test func aSecondAckOrAnAckForACommandNeverSentFailsAcks() {
        let t = Self.transcript("reconnects", commands: 1, [
            Self.hello,
            #"{"event":"ack","id":1,"ok":true,"mono_ns":1001500000}"#,
            #"{"event":"ack","id":1,"ok":true,"mono_ns":1002500000}"#,
            #"{"event":"ack","id":7,"ok":true,"mono_ns":1003500000}"#,
        ])
        let acks = Conformance.transcriptChecks([t])[3]
        #expect(acks.verdict == .fail)
        #expect(acks.detail == "reconnects: several acks for command 1; reconnects: acks for commands never sent: [7]")
    }

    // MARK: JetStream (v1.1)

    @Test func aHelloListingJetStreamSaysProtocolMinorOne() {
        let without = Self.transcript("main", commands: 0, [#"{"event":"hello","protocol":1,"library":"l","library_version":"1","capabilities":["jetstream"],"mono_ns":1000500000}"#])
        #expect(Conformance.helloProblems(without.first { $0.event == "hello" }) == [
            "\"capabilities\" lists jetstream (DRIVER-PROTOCOL v1.1), so \"protocol_minor\" must be 1",
        ])
        let with = Self.transcript("main", commands: 0, [#"{"event":"hello","protocol":1,"protocol_minor":1,"library":"l","library_version":"1","capabilities":["jetstream"],"mono_ns":1000500000}"#])
        #expect(Conformance.helloProblems(with.first { $0.event == "hello" }) == [])
    }

    /// `n` lines of `js_ack` for publishes 1…n of stream p, each at js_seq = seq, each call 1 ms long and after the command
    /// (sent at 1 s).
    static func jsAckLines(_ seqs: ClosedRange<Int>, duplicate: Bool = false, jsStream: String = "S") -> [String] {
        seqs.map { #"{"event":"js_ack","stream":"p","seq":\#($0),"js_stream":"\#(jsStream)","js_seq":\#($0),"duplicate":\#(duplicate),"call_ns":1000000,"mono_ns":\#(1_100_000_000 + $0)}"# }
    }

    @Test func jsAcksInStepPassAndRangesAreExpanded() {
        let single = Self.transcript("jetstream", commands: 1, Self.jsAckLines(1...20))
        #expect(Conformance.jsAckProblems(single.lines(since: 0), stream: "p", jsStream: "S", count: 20, duplicate: false, sentNs: 1_000_000_000) == [])
        let ranged = Self.transcript("jetstream", commands: 1, Self.jsAckLines(1...2) + [
            #"{"event":"js_ack","stream":"p","from":3,"to":20,"js_stream":"S","js_seq_from":3,"js_seq_to":20,"duplicate":false,"call_ns":2000000,"mono_ns":1100000100}"#,
        ])
        #expect(Conformance.jsAcks(ranged.lines(since: 0), stream: "p").map(\.jsSeq) == Array(1...20).map { Optional($0) })
        #expect(Conformance.jsAckProblems(ranged.lines(since: 0), stream: "p", jsStream: "S", count: 20, duplicate: false, sentNs: 1_000_000_000) == [])
    }

    @Test func jsAcksMissingOutOfStepOrNotDuplicatesFail() {
        var lines = Self.jsAckLines(1...19)
        lines[4] = lines[4].replacingOccurrences(of: #""js_seq":5"#, with: #""js_seq":7"#)
        lines.append(#"{"event":"js_publish_failed","stream":"p","seq":20,"error":{"kind":"timeout"},"call_ns":1,"mono_ns":1100000200}"#)
        let t = Self.transcript("jetstream", commands: 1, lines)
        let problems = Conformance.jsAckProblems(t.lines(since: 0), stream: "p", jsStream: "S", count: 20, duplicate: false, sentNs: 1_000_000_000)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("1 js_publish_failed events") })
        #expect(problems.contains { $0.hasPrefix("js_ack events of stream p: expected seq 1…20 once each, got [1, 2") })
        #expect(problems.contains("js_ack of seq 5 has js_seq 7, expected 5 (publishes in order to a fresh stream)"))

        let again = Self.transcript("jetstream", commands: 1, Self.jsAckLines(1...3, jsStream: "T"))
        #expect(Conformance.jsAckProblems(again.lines(since: 0), stream: "p", jsStream: "S", count: 3, duplicate: true, sentNs: 1_000_000_000) == [
            "js_ack of seq 1 names js_stream \"T\", expected \"S\"",
            "js_ack of seq 1 has duplicate false, expected true (its msg id was stored before)",
        ])
        // A call that began before the command was sent.
        #expect(Conformance.jsAckProblems(Self.transcript("jetstream", commands: 1, Self.jsAckLines(1...3)).lines(since: 0), stream: "p", jsStream: "S",
                                          count: 3, duplicate: false, sentNs: 1_099_999_999).first?.hasPrefix("3 js_ack events have a call_ns that puts the call before the js_publish command") == true)
    }

    @Test func aFailedJetStreamPublishNeedsItsKindAndCallTime() {
        let good = Self.transcript("jetstream", commands: 1, [#"{"event":"js_publish_failed","stream":"x","seq":1,"error":{"kind":"no_responders"},"call_ns":1000,"mono_ns":1100000000}"#])
        #expect(Conformance.jsPublishFailedProblems(good.lines(since: 0), stream: "x", kind: .noResponders, sentNs: 1_000_000_000) == [])
        #expect(Conformance.jsPublishFailedProblems(good.lines(since: 0), stream: "x", kind: .streamNotFound, sentNs: 1_000_000_000).first?
            .hasPrefix("expected error kind stream_not_found, got no_responders") == true)
        let noCallTime = Self.transcript("jetstream", commands: 1, [#"{"event":"js_publish_failed","stream":"x","seq":1,"error":{"kind":"no_responders"},"mono_ns":1100000000}"#])
        #expect(Conformance.jsPublishFailedProblems(noCallTime.lines(since: 0), stream: "x", kind: .noResponders, sentNs: 1_000_000_000).first?
            .hasPrefix("1 js_publish_failed events lack an integer call_ns") == true)
        let acked = Self.transcript("jetstream", commands: 1, [#"{"event":"js_ack","stream":"x","seq":1,"js_stream":"S","js_seq":21,"duplicate":false,"call_ns":1,"mono_ns":1100000000}"#])
        #expect(Conformance.jsPublishFailedProblems(acked.lines(since: 0), stream: "x", kind: .streamNotFound, sentNs: 1_000_000_000).first?
            .hasPrefix("the publish was acknowledged") == true)
        #expect(Conformance.jsPublishFailedProblems([], stream: "x", kind: .noResponders, sentNs: 0) == ["expected one js_publish_failed event for seq 1, got 0"])
    }

    static func jsMessage(_ seq: Int, sub: String = "pull", consumerSeq: Int? = nil, delivered: Int = 1) -> String {
        #"{"event":"js_message","sub":"\#(sub)","stream":"p","seq":\#(seq),"js_stream":"S","js_seq":\#(seq),"consumer_seq":\#(consumerSeq ?? seq),"delivered":\#(delivered),"redelivered":\#(delivered > 1),"mono_ns":\#(1_100_000_000 + seq)}"#
    }

    @Test func jsMessagesInStepPassAndEachDeviationIsNamed() {
        let good = Self.transcript("jetstream", commands: 1, (1...20).map { Self.jsMessage($0) } + [Self.jsMessage(1, sub: "other")])
        #expect(Conformance.jsMessageProblems(good.lines(since: 0), sub: "pull", stream: "p", jsStream: "S", count: 20) == [])
        let bad = Self.transcript("jetstream", commands: 1, (1...20).map { Self.jsMessage($0, consumerSeq: $0 == 3 ? 9 : nil) } + [Self.jsMessage(4, consumerSeq: 21, delivered: 2)])
        let problems = Conformance.jsMessageProblems(bad.lines(since: 0), sub: "pull", stream: "p", jsStream: "S", count: 20)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems[0].hasPrefix("js_message events on sub pull: expected seq 1…20 once each, got [1, 2, 3, 4,"))
        #expect(problems[1].hasPrefix("2 js_message events lack consumer_seq = seq (a fresh consumer)"))
        #expect(problems[2].hasPrefix("1 js_message events lack delivered 1"))
        #expect(problems[3].hasPrefix("1 js_message events lack redelivered false"))
    }

    @Test func aLongOperationsAckCarriesItsCounts() {
        let t = Self.transcript("jetstream", commands: 2, [
            #"{"event":"ack","id":1,"ok":true,"succeeded":20,"failed":0,"mono_ns":1100000000}"#,
            #"{"event":"ack","id":2,"ok":true,"mono_ns":1100000001}"#,
        ])
        #expect(Conformance.countProblems(ack: t.ack(id: 1), "js_publish", succeeded: 20, failed: 0) == [])
        #expect(Conformance.countProblems(ack: t.ack(id: 2), "js_publish", succeeded: 20, failed: 0)
            == [#"js_publish: the ack should say succeeded 20, failed 0: {"event":"ack","id":2,"ok":true,"mono_ns":1100000001}"#])
    }
}

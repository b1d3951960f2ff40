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
}

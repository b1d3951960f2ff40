import Foundation
import NATSFaultDrivers
import NATSFaultProcess
import NATSFaultReporting
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline

/// The DRIVER-PROTOCOL v1.1 (JetStream) checks, gated by the capability `jetstream`: a driver that lists it publishes
/// to and consumes from a stream and durable consumers natsfault creates on a JetStream server of its own; a driver
/// that does not must refuse `js_publish` (to a subject a stream captures, so that a driver that does it anyway is
/// caught).
extension Conformance {
    /// The JetStream stream of the checks; it captures `conformance.js.>`.
    static let jsStreamName = "CONFORMANCE"
    /// Where the checks publish: a subject of the stream.
    static let jsSubject = "conformance.js.p"
    /// The report stream of the numbered messages (`"<seq> p"`), and how many the checks publish.
    static let jsReportStream = "p"
    static let jsCount = 20

    /// The checks with the capability, in the order they run.
    static let jetStreamCheckNames = ["js_publish + js_ack", "js_publish failures", "js_consume pull", "js_consume push",
                                      "js_consume ack false", "js_consume unknown durable"]

    /// The durable consumers of the checks, each created before anything is published (deliver policy all): one per
    /// mode, acknowledged; and one whose messages come again 1 s after a delivery nobody acknowledges.
    static var jsConsumers: [ConsumerSpec] {
        let pull = ConsumerSpec(stream: jsStreamName, durable: "pull")
        var push = ConsumerSpec(stream: jsStreamName, durable: "push")
        push.mode = .push
        var unacked = ConsumerSpec(stream: jsStreamName, durable: "unacked")
        unacked.ackWait = .seconds(1)
        return [pull, push, unacked]
    }

    /// How long the JetStream server may take to answer its API, and how long 20 deliveries may take.
    static let jsSetupWindow: Duration = .seconds(30)
    static let jsDeliveryWindow: Duration = .seconds(15)

    /// Starts the driver once more (`jetstream`), and a JetStream server with the stream and its consumers; then the
    /// checks of the capability, or the one check that a driver without it refuses `js_publish`.
    func jetStream(transcripts: inout [Transcript], servers: inout [ServerProcess]) async -> [ConformanceCheck] {
        guard let opened = try? await session("jetstream", transcripts: &transcripts), let s = opened.session else {
            return [ConformanceCheck(name: "jetstream", verdict: .notRun, detail: "the driver did not start a fifth time")]
        }
        let checks = await jetStream(s, servers: &servers)
        await s.driver.shutdown()
        return checks
    }

    private func jetStream(_ s: Session, servers: inout [ServerProcess]) async -> [ConformanceCheck] {
        let listed = s.capabilities.contains("jetstream")
        let names = listed ? Self.jetStreamCheckNames : ["jetstream"]
        func unable(_ why: String) -> [ConformanceCheck] {
            [ConformanceCheck(name: names[0], verdict: .fail, detail: why)]
                + names.dropFirst().map { ConformanceCheck(name: $0, verdict: .notRun, detail: "needs the JetStream server and a connection to it") }
        }
        var config = ServerConfig()
        config.jetStream = JetStreamConfig()
        let server: ServerProcess
        let target: RequestProbe.Target
        do {
            server = try await startServer("js", host: "127.0.0.4", config: config)
            servers.append(server)
            target = RequestProbe.Target(host: server.spec.host, port: server.spec.port)
            try await JetStreamAdmin.create(StreamSpec(name: Self.jsStreamName, subjects: ["conformance.js.>"]), defaultStore: .file,
                                            on: target, within: Self.jsSetupWindow)
            for consumer in Self.jsConsumers { try await JetStreamAdmin.create(consumer, on: target, within: Self.jsSetupWindow) }
        } catch {
            return unable("setup (natsfault's, not the driver's): \(FileProblem.describe(error))")
        }
        let connect = await s.call(.connect(servers: [server.spec.url], name: "natsfault-conformance-jetstream",
                                            options: Self.options(maxReconnects: -1, reconnectWait: .milliseconds(100), connectTimeout: .seconds(2))))
        if let problem = Self.expectOK(connect, "connect to the JetStream server \(server.spec.url)").first { return unable(problem) }

        guard listed else {
            // A subject the stream captures: a driver that publishes anyway gets an acknowledgement, and an ack ok.
            let op = DriverOp.jsPublish(JSPublish(subject: Self.jsSubject, stream: "gated", count: 1, ratePerSecond: nil, payloadBytes: nil,
                                                  ackTimeout: nil, msgID: false, jsStream: nil))
            switch await s.call(op) {
            case .success(let ack) where !ack.ok:
                return [ConformanceCheck(name: "jetstream", verdict: .pass, detail: "capability not listed, and js_publish is refused: \(ack.error?.kind ?? "?")")]
            case .success:
                return [ConformanceCheck(name: "jetstream", verdict: .fail,
                                         detail: "the hello does not list \"jetstream\", yet a js_publish to a subject of JetStream stream \(Self.jsStreamName) was acked ok: list the capability (with \"protocol_minor\":1), or refuse the op")]
            case .failure(let error):
                return [ConformanceCheck(name: "jetstream", verdict: .fail, detail: "\(error)")]
            }
        }
        return [
            await publishAndAck(s, target: target),
            await publishFailures(s),
            await consumeAll(s, name: "js_consume pull", durable: "pull", mode: .pull, target: target),
            await consumeAll(s, name: "js_consume push", durable: "push", mode: .push, target: target),
            await consumeUnacked(s),
            await consumeUnknown(s),
        ]
    }

    static func check(_ name: String, _ problems: [String], _ detail: String) -> ConformanceCheck {
        ConformanceCheck(name: name, verdict: problems.isEmpty ? .pass : .fail, detail: problems.isEmpty ? detail : problems.joined(separator: "; "))
    }

    // MARK: js_publish

    /// 20 messages at 200/s with msg ids: a `js_ack` for each, in step with the fresh stream's sequences; then the first 3
    /// again (the same report stream, so the same msg ids): each a `js_ack` with `duplicate` true, and the stream still 20.
    private func publishAndAck(_ s: Session, target: RequestProbe.Target) async -> ConformanceCheck {
        let t = s.transcript, count = Self.jsCount, stream = Self.jsReportStream
        func publish(_ n: Int) -> DriverOp {
            .jsPublish(JSPublish(subject: Self.jsSubject, stream: stream, count: n, ratePerSecond: 200, payloadBytes: 32, ackTimeout: nil, msgID: true, jsStream: nil))
        }
        var mark = t.count
        var sent = MonotonicClock.nowNs()
        var problems = Self.longOpProblems(await s.call(publish(count)), ack: t.ack(id: t.commands), "js_publish", succeeded: count, failed: 0)
        let firstMark = mark
        _ = await t.wait(since: mark, timeout: .seconds(5)) { _ in Self.jsAcks(t.lines(since: firstMark), stream: stream).count >= count }
        problems += Self.jsAckProblems(t.lines(since: mark), stream: stream, jsStream: Self.jsStreamName, count: count, duplicate: false, sentNs: sent)
        let calls = t.lines(since: mark).filter { $0.event == "js_ack" }.compactMap { $0.int("call_ns") }

        mark = t.count
        sent = MonotonicClock.nowNs()
        problems += Self.longOpProblems(await s.call(publish(3)), ack: t.ack(id: t.commands), "js_publish of msg ids p-1…p-3 again", succeeded: 3, failed: 0)
        let againMark = mark
        _ = await t.wait(since: mark, timeout: .seconds(5)) { _ in Self.jsAcks(t.lines(since: againMark), stream: stream).count >= 3 }
        problems += Self.jsAckProblems(t.lines(since: mark), stream: stream, jsStream: Self.jsStreamName, count: 3, duplicate: true, sentNs: sent)
            .map { "published again: \($0)" }
        do {
            let state = try await JetStreamAdmin.state(of: Self.jsStreamName, on: target)
            if state.messages != count || state.last != count {
                problems.append("stream \(Self.jsStreamName) holds \(state.messages) messages (last sequence \(state.last)) after 20 publishes and 3 duplicates; expected 20")
            }
        } catch {
            problems.append("reading stream \(Self.jsStreamName) back (natsfault's, not the driver's): \(error)")
        }
        let longest = calls.max().map { String(format: "%.2f", Double($0) / 1e6) } ?? "?"
        return Self.check("js_publish + js_ack", problems,
                          "20 js_acks, seq 1…20 = js_seq 1…20 in \(Self.jsStreamName), call_ns up to \(longest) ms; the 3 msg ids again: 3 js_acks duplicate:true, the stream still 20")
    }

    /// A publish no stream captures fails with `no_responders`; one whose expected stream is not the one it lands in
    /// fails with `stream_not_found`.
    private func publishFailures(_ s: Session) async -> ConformanceCheck {
        var problems: [String] = []
        var details: [String] = []
        for (subject, stream, jsStream, kind, what) in [
            ("conformance.nostream.p", "nostream", nil, ErrorKind.noResponders, "a subject no stream has"),
            (Self.jsSubject, "wrongstream", "NO_SUCH_STREAM", ErrorKind.streamNotFound, "js_stream NO_SUCH_STREAM"),
        ] {
            let t = s.transcript, mark = t.count, sent = MonotonicClock.nowNs()
            let op = DriverOp.jsPublish(JSPublish(subject: subject, stream: stream, count: 1, ratePerSecond: nil, payloadBytes: 32,
                                                  ackTimeout: .seconds(2), msgID: false, jsStream: jsStream))
            switch await s.call(op) {
            case .success(let ack) where ack.ok: problems.append("\(what): js_publish acked ok, expected ok:false (its publish fails)")
            case .success: break
            case .failure(let error): problems.append("\(what): \(error)")
            }
            let found = await t.wait(since: mark, timeout: .seconds(2)) { $0.event == "js_publish_failed" && $0.string("stream") == stream }
            let wrong = Self.jsPublishFailedProblems(t.lines(since: mark), stream: stream, kind: kind, sentNs: sent)
            problems += wrong.map { "\(what): \($0)" }
            if wrong.isEmpty, let found {
                details.append("\(what): \(kind.rawValue) after \(String(format: "%.1f", Double(found.int("call_ns") ?? 0) / 1e6)) ms")
            }
        }
        return Self.check("js_publish failures", problems, "js_publish_failed, acked ok:false: " + details.joined(separator: "; "))
    }

    // MARK: js_consume

    /// Every message of the stream, once, to a durable consumer that acknowledges: then, after `js_stop`, the consumer's
    /// acknowledgement floor is the stream's last sequence.
    private func consumeAll(_ s: Session, name: String, durable: String, mode: ConsumerSpec.Mode, target: RequestProbe.Target) async -> ConformanceCheck {
        let t = s.transcript, mark = t.count, sub = durable, count = Self.jsCount
        let started = MonotonicClock.nowNs()
        var problems = Self.expectOK(await s.call(.jsConsume(JSConsume(sub: sub, jsStream: Self.jsStreamName, durable: durable, mode: mode,
                                                                      batch: nil, fetchTimeout: nil, ack: true))), "js_consume")
        guard problems.isEmpty else { return Self.check(name, problems, "") }
        @Sendable func delivered() -> [Transcript.Line] { t.lines(since: mark).filter { $0.event == "js_message" && $0.string("sub") == sub } }
        _ = await t.wait(since: mark, timeout: Self.jsDeliveryWindow) { _ in Set(delivered().compactMap { $0.int("seq") }).count >= count }
        // When the last of the 20 arrived.
        var seen = Set<Int>()
        let took = delivered().first { line in if let seq = line.int("seq") { seen.insert(seq) }; return seen.count >= count }.map { Double($0.receivedNs - started) / 1e6 }
        problems += Self.expectOK(await s.call(.jsStop(sub: sub)), "js_stop")
        problems += Self.jsMessageProblems(t.lines(since: mark), sub: sub, stream: Self.jsReportStream, jsStream: Self.jsStreamName, count: count)
        // Acknowledged right after each line: the floor reaches the last one soon after.
        var floor = -1
        var unreadable: String?
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            do { floor = try await JetStreamAdmin.ackFloor(of: durable, stream: Self.jsStreamName, on: target); unreadable = nil } catch { unreadable = "\(error)" }
            if floor >= count { break }
            try? await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        if let unreadable { problems.append("reading consumer \(durable)'s ack floor (natsfault's, not the driver's): \(unreadable)") }
        else if floor != count { problems.append("consumer \(durable)'s ack floor is \(floor) 5 s after js_stop, expected \(count): with ack true every message is acknowledged") }
        return Self.check(name, problems, "20 js_messages on sub \(sub) in \(took.map { String(format: "%.0f", $0) } ?? "?") ms, seq = js_seq = consumer_seq 1…20, delivered 1; js_stop acked; ack floor \(count)")
    }

    /// With `ack` false nothing is acknowledged: the consumer (ack wait 1 s) delivers message 1 again.
    private func consumeUnacked(_ s: Session) async -> ConformanceCheck {
        let name = "js_consume ack false", t = s.transcript, mark = t.count, sub = "unacked"
        var problems = Self.expectOK(await s.call(.jsConsume(JSConsume(sub: sub, jsStream: Self.jsStreamName, durable: "unacked", mode: .pull,
                                                                      batch: nil, fetchTimeout: nil, ack: false))), "js_consume")
        guard problems.isEmpty else { return Self.check(name, problems, "") }
        @Sendable func firsts(_ lines: [Transcript.Line]) -> [Transcript.Line] {
            lines.filter { $0.event == "js_message" && $0.string("sub") == sub && $0.int("seq") == 1 }
        }
        var detail = ""
        if let first = await t.wait(since: mark, timeout: Self.jsDeliveryWindow, { $0.event == "js_message" && $0.string("sub") == sub && $0.int("seq") == 1 }) {
            if first.int("delivered") != 1 || first.bool("redelivered") != false {
                problems.append("the first delivery of message 1 should say delivered 1, redelivered false: \(first.raw.prefix(200))")
            }
            let remaining = Duration.seconds(4) - .nanoseconds(MonotonicClock.nowNs() - first.receivedNs)
            if await t.wait(since: mark, timeout: max(remaining, .zero), { _ in firsts(t.lines(since: mark)).count >= 2 }) != nil {
                let again = firsts(t.lines(since: mark))[1]
                if again.int("delivered") != 2 || again.bool("redelivered") != true {
                    problems.append("the second delivery of message 1 should say delivered 2, redelivered true: \(again.raw.prefix(200))")
                }
                let gap = (again.int("mono_ns") ?? 0) - (first.int("mono_ns") ?? 0)
                detail = "message 1 again \(String(format: "%.0f", Double(gap) / 1e6)) ms after its first delivery, delivered 2, redelivered true"
            } else {
                problems.append("message 1 did not come again within 4 s of its first delivery (the consumer's ack wait is 1 s): was it acknowledged, though ack was false?")
            }
        } else {
            problems.append("no js_message of message 1 on sub \(sub) within \(Self.jsDeliveryWindow)")
        }
        problems += Self.expectOK(await s.call(.jsStop(sub: sub)), "js_stop")
        return Self.check(name, problems, detail + "; js_stop acked")
    }

    /// Binding to a durable consumer that does not exist is refused with `consumer_not_found`.
    private func consumeUnknown(_ s: Session) async -> ConformanceCheck {
        let name = "js_consume unknown durable"
        let result = await s.call(.jsConsume(JSConsume(sub: "unknown", jsStream: Self.jsStreamName, durable: "no_such_durable", mode: .pull,
                                                      batch: nil, fetchTimeout: nil, ack: true)))
        switch result {
        case .success(let ack) where !ack.ok && ack.error?.kind == ErrorKind.consumerNotFound.rawValue:
            return Self.check(name, [], "ack ok:false consumer_not_found: \(ack.error?.message ?? "")")
        case .success(let ack) where ack.ok:
            _ = await s.call(.jsStop(sub: "unknown"))
            return Self.check(name, ["a js_consume of durable no_such_durable, which stream \(Self.jsStreamName) does not have, was acked ok; expected ok:false with kind consumer_not_found"], "")
        case .success(let ack):
            return Self.check(name, ["expected ack ok:false with kind consumer_not_found, got \(Self.describe(ack))"], "")
        case .failure(let error):
            return Self.check(name, ["\(error)"], "")
        }
    }

    // MARK: judgements (on the lines alone)

    /// One publish's acknowledgement, from a `js_ack` line or a range of them.
    struct JSAck: Equatable {
        var seq: Int
        var jsStream: String?
        var jsSeq: Int?
        var duplicate: Bool?
    }

    /// The `js_ack`s of report stream `stream`, ranges (`from`…`to`, `js_seq_from`) expanded.
    static func jsAcks(_ lines: [Transcript.Line], stream: String) -> [JSAck] {
        lines.filter { $0.event == "js_ack" && $0.string("stream") == stream }.flatMap { line -> [JSAck] in
            let js = line.string("js_stream"), duplicate = line.bool("duplicate")
            if let seq = line.int("seq") { return [JSAck(seq: seq, jsStream: js, jsSeq: line.int("js_seq"), duplicate: duplicate)] }
            guard let from = line.int("from"), let to = line.int("to"), from <= to else { return [] }
            let jsFrom = line.int("js_seq_from")
            return (from...to).map { seq in JSAck(seq: seq, jsStream: js, jsSeq: jsFrom.map { $0 + seq - from }, duplicate: duplicate) }
        }
    }

    /// What is wrong with the acknowledgements of `count` messages published in order, each publish `seq` stored at
    /// stream sequence `seq` (a fresh stream), or found already stored (`duplicate`).
    static func jsAckProblems(_ lines: [Transcript.Line], stream: String, jsStream: String, count: Int, duplicate: Bool, sentNs: Int64) -> [String] {
        var problems: [String] = []
        let failed = lines.filter { $0.event == "js_publish_failed" && $0.string("stream") == stream }
        if !failed.isEmpty { problems.append("\(failed.count) js_publish_failed events, e.g. \(failed[0].raw.prefix(200))") }
        let acks = jsAcks(lines, stream: stream)
        let seqs = acks.map(\.seq)
        if seqs.sorted() != Array(1...count) {
            problems.append("js_ack events of stream \(stream): expected seq 1…\(count) once each, got \(brief(seqs))")
        }
        if let wrong = acks.first(where: { $0.jsStream != jsStream }) {
            problems.append("js_ack of seq \(wrong.seq) names js_stream \(wrong.jsStream.map { "\"\($0)\"" } ?? "nothing"), expected \"\(jsStream)\"")
        }
        if let wrong = acks.first(where: { $0.jsSeq != $0.seq }) {
            problems.append("js_ack of seq \(wrong.seq) has js_seq \(wrong.jsSeq.map(String.init) ?? "missing"), expected \(wrong.seq) (publishes in order to a fresh stream)")
        }
        if let wrong = acks.first(where: { $0.duplicate != duplicate }) {
            problems.append("js_ack of seq \(wrong.seq) has duplicate \(wrong.duplicate.map(String.init) ?? "missing"), expected \(duplicate)"
                            + (duplicate ? " (its msg id was stored before)" : ""))
        }
        problems += callTimeProblems(lines.filter { $0.event == "js_ack" && $0.string("stream") == stream }, sentNs: sentNs, event: "js_ack", command: "js_publish")
        return problems
    }

    /// What is wrong with the outcome of one failing publish (`seq` 1 of `stream`): a `js_publish_failed` with `kind`
    /// and its call time, and no `js_ack`.
    static func jsPublishFailedProblems(_ lines: [Transcript.Line], stream: String, kind: ErrorKind, sentNs: Int64) -> [String] {
        let acked = lines.filter { $0.event == "js_ack" && $0.string("stream") == stream }
        if let ack = acked.first { return ["the publish was acknowledged: \(ack.raw.prefix(200))"] }
        let failed = lines.filter { $0.event == "js_publish_failed" && $0.string("stream") == stream }
        guard failed.count == 1, let line = failed.first else {
            return ["expected one js_publish_failed event for seq 1, got \(failed.count)\(failed.first.map { ": \($0.raw.prefix(200))" } ?? "")"]
        }
        var problems: [String] = []
        if line.int("seq") != 1 { problems.append("js_publish_failed should name seq 1: \(line.raw.prefix(200))") }
        if line.errorKind != kind.rawValue { problems.append("expected error kind \(kind.rawValue), got \(line.errorKind ?? "none") (\(line.raw.prefix(200)))") }
        return problems + callTimeProblems([line], sentNs: sentNs, event: "js_publish_failed", command: "js_publish")
    }

    /// What is wrong with the deliveries on `sub` of a fresh durable consumer of a stream holding publishes 1…`count` of
    /// `stream` at sequences 1…`count`: each exactly once, in step (payload seq = stream seq = consumer seq), first delivery.
    static func jsMessageProblems(_ lines: [Transcript.Line], sub: String, stream: String, jsStream: String, count: Int) -> [String] {
        let messages = lines.filter { $0.event == "js_message" && $0.string("sub") == sub }
        var problems: [String] = []
        let seqs = messages.map { $0.int("seq") ?? 0 }
        if seqs.sorted() != Array(1...count) {
            problems.append("js_message events on sub \(sub): expected seq 1…\(count) once each, got \(brief(seqs))")
        }
        let expectations: [(String, (Transcript.Line) -> Bool)] = [
            ("stream \"\(stream)\" (read from the payload)", { $0.string("stream") == stream }),
            ("js_stream \"\(jsStream)\"", { $0.string("js_stream") == jsStream }),
            ("js_seq = seq", { $0.int("js_seq") != nil && $0.int("js_seq") == $0.int("seq") }),
            ("consumer_seq = seq (a fresh consumer)", { $0.int("consumer_seq") != nil && $0.int("consumer_seq") == $0.int("seq") }),
            ("delivered 1", { $0.int("delivered") == 1 }),
            ("redelivered false", { $0.bool("redelivered") == false }),
        ]
        for (what, holds) in expectations {
            let wrong = messages.filter { !holds($0) }
            if let first = wrong.first { problems.append("\(wrong.count) js_message events lack \(what), e.g. \(first.raw.prefix(200))") }
        }
        return problems
    }

    /// What is wrong with the ack of a long operation (`publish`, `js_publish`): ok, with its `succeeded` and `failed` counts.
    static func longOpProblems(_ result: Result<DriverAck, DriverError>, ack line: Transcript.Line?, _ what: String, succeeded: Int, failed: Int) -> [String] {
        let problems = expectOK(result, what)
        return problems.isEmpty ? countProblems(ack: line, what, succeeded: succeeded, failed: failed) : problems
    }

    /// What is wrong with the counts an ok ack of a long operation carries.
    static func countProblems(ack line: Transcript.Line?, _ what: String, succeeded: Int, failed: Int) -> [String] {
        guard line?.int("succeeded") != succeeded || line?.int("failed") != failed else { return [] }
        return ["\(what): the ack should say succeeded \(succeeded), failed \(failed): \(line.map { String($0.raw.prefix(200)) } ?? "no ack line")"]
    }

    /// A list of sequence numbers, shortened when long.
    static func brief(_ seqs: [Int]) -> String {
        seqs.count <= 30 ? "\(seqs)" : "\(seqs.count) events: \(seqs.prefix(30).map(String.init).joined(separator: ", ")), …"
    }
}

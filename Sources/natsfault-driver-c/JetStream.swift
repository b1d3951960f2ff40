// DRIVER-PROTOCOL v1.1: JetStream. js_publish (js_Publish, one at a time, paced as `publish`),
// js_consume (bind to an existing durable consumer: pull = natsSubscription_Fetch in a loop on its
// own thread, push = js_Subscribe bound to the consumer's deliver subject) and js_stop.

#if canImport(Glibc)
import Glibc
#endif
import CNATS
import Foundation

// MARK: - errors

/// Names of the jsErrCode values the driver maps (for `native`).
func jsErrCodeName(_ c: jsErrCode) -> String? {
    switch c {
    case JSStreamNotFoundErr: return "JSStreamNotFoundErr"
    case JSStreamNotMatchErr: return "JSStreamNotMatchErr"
    case JSStreamWrongLastSequenceErr: return "JSStreamWrongLastSequenceErr"
    case JSStreamWrongLastMsgIDErr: return "JSStreamWrongLastMsgIDErr"
    case JSConsumerNotFoundErr: return "JSConsumerNotFoundErr"
    case JSNotEnabledErr: return "JSNotEnabledErr"
    case JSNotEnabledForAccountErr: return "JSNotEnabledForAccountErr"
    default: return nil
    }
}

/// Re-kinds an error of a JetStream call with the 1.1 kinds: by jsErrCode first (the server's
/// err_code), then by status (NATS_MISSED_HEARTBEAT), then by the server's text; anything else
/// keeps its v1 kind. `publish`: nats.c sets JSNotEnabledErr on every request that meets no
/// responders, also a publish to a subject no stream listens on; for a publish that is the kind
/// `no_responders` (the spec's), for a JetStream API call (bind) it is `jetstream_not_enabled`.
func jsErrorKinds(_ e: DriverError, status s: natsStatus, code: jsErrCode, publish: Bool = false) -> DriverError {
    let t = e.message.lowercased()
    let kind: String
    switch code {
    case JSStreamNotFoundErr, JSStreamNotMatchErr: kind = "stream_not_found"
    case JSStreamWrongLastSequenceErr: kind = "wrong_last_sequence"
    case JSConsumerNotFoundErr: kind = "consumer_not_found"
    case JSNotEnabledErr, JSNotEnabledForAccountErr:
        kind = (publish && s == NATS_NO_RESPONDERS) ? "no_responders" : "jetstream_not_enabled"
    default:
        if s == NATS_MISSED_HEARTBEAT { kind = "heartbeats_missed" }
        else if t.contains("consumer deleted") { kind = "consumer_deleted" }
        else if t.contains("stream not found") || t.contains("expected stream does not match") { kind = "stream_not_found" }
        else if t.contains("consumer not found") { kind = "consumer_not_found" }
        else if t.contains("wrong last sequence") { kind = "wrong_last_sequence" }
        else if t.contains("jetstream not enabled") { kind = "jetstream_not_enabled" }
        else { kind = e.kind }
    }
    var native = e.native ?? statusName(s)
    if code.rawValue != 0 {
        native += " jsErrCode=\(code.rawValue)"
        if let name = jsErrCodeName(code) { native += " (\(name))" }
    }
    return DriverError(kind: kind, message: e.message, native: native)
}

/// The error of a JetStream call that just failed on this thread.
func jsError(_ s: natsStatus, code: jsErrCode, publish: Bool = false) -> DriverError {
    jsErrorKinds(lastThreadError(s), status: s, code: code, publish: publish)
}

// MARK: - js_publish

/// A C string owned until `free()`; nil stays nil.
private func cString(_ s: String?) -> UnsafeMutablePointer<CChar>? {
    s.map { strdup($0) }
}

extension Driver {
    func jsPublish(_ id: Int64, _ f: Fields) throws {
        let (ctx, _) = try requireConn()
        let js = SendablePointer(try ctx.jetStream())
        let subject = try f.requiredString("subject")
        let stream = try f.string("stream") ?? subject
        let count = try f.int("count") ?? 1
        let rate = try f.double("rate_per_s")
        let size = Int(try f.int("payload_bytes") ?? 0)
        let ackTimeoutMs = try f.int("ack_timeout_ms") ?? 2000
        let msgID = try f.bool("msg_id") ?? false
        let jsStream = try f.string("js_stream")
        guard count >= 0 else { throw BadCommand(message: "field 'count' must be >= 0") }
        if let rate, !(rate > 0) { throw BadCommand(message: "field 'rate_per_s' must be > 0") }
        guard size >= 0 else { throw BadCommand(message: "field 'payload_bytes' must be >= 0") }
        guard ackTimeoutMs > 0 else { throw BadCommand(message: "field 'ack_timeout_ms' must be > 0") }

        workers.run("js-publish-\(id)") {
            var okCount: Int64 = 0, failed: Int64 = 0
            var firstError: DriverError? = nil
            // Unpaced, acks are batched into ranges (as `published`); paced, one line each.
            let batcher = rate == nil ? jsAckBatcher(stream: stream) : nil
            let done = DoneFlag()
            batcher?.startFlusher("js-publish-\(id)-flusher", until: done)
            let expect = cString(jsStream)
            defer { free(expect) }
            let pacer = Pacer(ratePerS: rate)
            var seq: Int64 = 1
            while seq <= count && !exiting.isSet {
                pacer.wait(forSeq: seq)
                let payload = makePayload(seq: seq, stream: stream, size: size)
                let idString = msgID ? cString("\(stream)-\(seq)") : nil
                var opts = jsPubOptions()
                jsPubOptions_Init(&opts)
                opts.MaxWait = ackTimeoutMs
                opts.MsgId = UnsafePointer(idString)
                opts.ExpectStream = UnsafePointer(expect)
                var pubAck: UnsafeMutablePointer<jsPubAck>? = nil
                var code = jsErrCode(rawValue: 0)
                let sent = monoNow()
                let s = payload.withUnsafeBytes { buf in
                    js_Publish(&pubAck, js.p, subject, buf.baseAddress, Int32(buf.count), &opts, &code)
                }
                let mono = monoNow()
                free(idString)
                if s == NATS_OK, let pa = pubAck?.pointee {
                    okCount += 1
                    let ackStream = pa.Stream.map { String(cString: $0) } ?? ""
                    if let batcher {
                        batcher.add(seq: seq, JsAckEntry(jsStream: ackStream, jsSeq: pa.Sequence, duplicate: pa.Duplicate),
                                    mono: mono, call: mono - sent)
                    } else {
                        events.emit("js_ack", [
                            ("stream", .str(stream)), ("seq", .int(seq)), ("js_stream", .str(ackStream)),
                            ("js_seq", .uint(pa.Sequence)), ("duplicate", .bool(pa.Duplicate)),
                            ("call_ns", .uint(mono - sent)),
                        ], mono: mono)
                    }
                } else {
                    let err = s == NATS_OK
                        ? DriverError.other("js_Publish returned no acknowledgement")
                        : jsError(s, code: code, publish: true)
                    failed += 1
                    if firstError == nil { firstError = err }
                    batcher?.flush()  // keep the lines in publish order
                    events.emit("js_publish_failed", [
                        ("stream", .str(stream)), ("seq", .int(seq)), ("error", err.json),
                        ("call_ns", .uint(mono - sent)),
                    ], mono: mono)
                }
                jsPubAck_Destroy(pubAck)
                seq += 1
            }
            done.set()
            batcher?.flush()
            let extra: Fieldset = [("succeeded", .int(okCount)), ("failed", .int(failed))]
            if seq <= count {
                ack(id, failure: .other("cancelled: driver exiting after \(seq - 1) of \(count)"), extra: extra)
            } else if let firstError {
                ack(id, failure: firstError, extra: extra)
            } else {
                ack(id, .success(extra))
            }
        }
    }

    // MARK: js_consume / js_stop

    func jsConsume(_ f: Fields) throws -> Fieldset {
        let (ctx, _) = try requireConn()
        let js = try ctx.jetStream()
        let jsStream = try f.requiredString("js_stream")
        let durable = try f.requiredString("durable")
        let name = try f.string("sub") ?? durable
        let mode = try f.string("mode") ?? "pull"
        let batch = try f.int("batch") ?? 10
        let fetchTimeoutMs = try f.int("fetch_timeout_ms") ?? 1000
        let ackEach = try f.bool("ack") ?? true
        guard mode == "pull" || mode == "push" else {
            throw BadCommand(message: "field 'mode' must be \"pull\" or \"push\", got \"\(mode)\"")
        }
        guard batch > 0, batch <= Int64(Int32.max) else { throw BadCommand(message: "field 'batch' must be > 0") }
        guard fetchTimeoutMs > 0 else { throw BadCommand(message: "field 'fetch_timeout_ms' must be > 0") }

        let consumer = JsConsumer(name: name, pull: mode == "pull", batch: Int32(batch),
                                  fetchTimeoutMs: fetchTimeoutMs, ack: ackEach)
        guard ctx.addConsumer(consumer) else {
            throw DriverError.other("js_consume: sub '\(name)' is already consuming; js_stop it first")
        }
        // jsSubOptions Stream + Consumer: bind to the existing consumer, never create one.
        let cStream = strdup(jsStream), cDurable = strdup(durable)
        defer { free(cStream); free(cDurable) }
        var so = jsSubOptions()
        jsSubOptions_Init(&so)
        so.Stream = UnsafePointer(cStream)
        so.Consumer = UnsafePointer(cDurable)
        var sub: OpaquePointer? = nil
        var code = jsErrCode(rawValue: 0)
        let s: natsStatus
        if consumer.pull {
            s = js_PullSubscribe(&sub, js, nil, cDurable, nil, &so, &code)
        } else {
            // The driver acks itself, after reporting (nats.c would ack when the callback returns).
            so.ManualAck = true
            s = js_Subscribe(&sub, js, nil, cbJsMessage, consumer.closurePointer, nil, &so, &code)
        }
        guard s == NATS_OK, let sub else {
            let e = jsError(s, code: code)
            ctx.removeConsumer(consumer)
            throw DriverError(kind: e.kind, message: e.message, native: e.native)
        }
        consumer.sub = sub
        ctx.setConsumerSub(sub, consumer)
        if consumer.pull { consumer.startFetching(ctx: ctx) }
        return []
    }

    /// Acks once the consumer has stopped: a fetch under way is finished (and what it got is
    /// reported and acked), then the subscription is unsubscribed (the durable consumer stays).
    func jsStop(_ id: Int64, _ f: Fields) throws {
        let (ctx, _) = try requireConn()
        let name = try f.requiredString("sub")
        guard let consumer = ctx.consumer(named: name) else {
            throw DriverError.other("js_stop: no consumer named '\(name)'")
        }
        workers.run("js-stop-\(id)") {
            consumer.requestStop()
            consumer.stop(ctx: ctx)
            ack(id, .success([]))
        }
    }
}

// MARK: - one consumer

final class JsConsumer: @unchecked Sendable {
    let name: String
    let pull: Bool
    let batch: Int32
    let fetchTimeoutMs: Int64
    let ack: Bool

    private let cond = NSCondition()
    private var _sub: OpaquePointer?
    private var stopping = false
    private var fetching = false
    private var stopped = false
    private var finished = false
    // js_consumer_error limiter: at most one a second, the rest counted.
    private var lastReport: UInt64 = 0
    private var suppressed = 0

    init(name: String, pull: Bool, batch: Int32, fetchTimeoutMs: Int64, ack: Bool) {
        self.name = name
        self.pull = pull
        self.batch = batch
        self.fetchTimeoutMs = fetchTimeoutMs
        self.ack = ack
    }

    /// Retained, never released: a push subscription may call back until the process ends.
    var closurePointer: UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer?) -> JsConsumer? {
        guard let p else { return nil }
        return Unmanaged<JsConsumer>.fromOpaque(p).takeUnretainedValue()
    }

    var sub: OpaquePointer? {
        get { cond.lock(); defer { cond.unlock() }; return _sub }
        set { cond.lock(); _sub = newValue; cond.unlock() }
    }

    var isStopping: Bool { cond.lock(); defer { cond.unlock() }; return stopping }

    func requestStop() {
        cond.lock(); stopping = true; cond.unlock()
    }

    /// Waits for the fetch loop to end (pull), then unsubscribes and destroys the subscription
    /// once. Every caller returns when the consumer has stopped.
    func stop(ctx: ConnCtx) {
        cond.lock()
        stopping = true
        // A fetch lasts at most fetch_timeout_ms; a batch's acks are quick.
        let deadline = Date(timeIntervalSinceNow: Double(fetchTimeoutMs) / 1000 + 5)
        while fetching {
            if !cond.wait(until: deadline) {
                events.log("js_stop \(name): fetch still under way \(fetchTimeoutMs) ms + 5 s after the stop")
                break
            }
        }
        if stopped {
            // Another caller is unsubscribing: wait for it.
            while !finished { if !cond.wait(until: deadline) { break } }
            cond.unlock()
            return
        }
        stopped = true
        let sub = _sub
        cond.unlock()
        defer { cond.lock(); finished = true; cond.broadcast(); cond.unlock() }
        if let sub {
            // Bound to a consumer it did not create, nats.c leaves the consumer on the server.
            let s = natsSubscription_Unsubscribe(sub)
            if s != NATS_OK && !ctx.isClosed {
                let e = lastThreadError(s)
                events.log("js_stop \(name): unsubscribe failed: \(e.native ?? "") \(e.message)")
            }
            natsSubscription_Destroy(sub)
        }
        ctx.removeConsumer(self)
    }

    /// js_consumer_error, at most one a second for this consumer; the next one reported
    /// carries `suppressed`, the number left out since the last.
    func reportError(_ e: DriverError, mono: UInt64 = monoNow(), force: Bool = false) {
        cond.lock()
        if !force && lastReport != 0 && mono < lastReport + 1_000_000_000 {
            suppressed += 1
            cond.unlock()
            return
        }
        lastReport = mono
        let n = suppressed
        suppressed = 0
        cond.unlock()
        var f: Fieldset = [("sub", .str(name)), ("error", e.json)]
        if n > 0 { f.append(("suppressed", .int(n))) }
        events.emit("js_consumer_error", f, mono: mono)
    }

    /// js_message for one delivered message, then (with `ack`) natsMsg_Ack. Does not destroy it.
    func process(_ msg: OpaquePointer) {
        let mono = monoNow()
        let length = Int(natsMsg_GetDataLength(msg))
        let (seq, stream) = parsePayload(natsMsg_GetData(msg), length)
        var f: Fieldset = [("sub", .str(name))]
        if let stream { f.append(("stream", .str(stream))) }
        f.append(("seq", .int(seq)))
        var meta: UnsafeMutablePointer<jsMsgMetaData>? = nil
        let ms = natsMsg_GetMetaData(&meta, msg)
        if ms == NATS_OK, let m = meta?.pointee {
            f.append(("js_stream", .str(m.Stream.map { String(cString: $0) } ?? "")))
            f.append(("js_seq", .uint(m.Sequence.Stream)))
            f.append(("consumer_seq", .uint(m.Sequence.Consumer)))
            f.append(("delivered", .uint(m.NumDelivered)))
            f.append(("redelivered", .bool(m.NumDelivered > 1)))
        } else {
            // Not a JetStream message (no $JS.ACK reply subject): reported without sequences.
            let e = lastThreadError(ms)
            f.append(("metadata_error", e.json))
        }
        jsMsgMetaData_Destroy(meta)
        events.emit("js_message", f, mono: mono)
        if ack {
            let s = natsMsg_Ack(msg, nil)
            if s != NATS_OK { reportError(jsError(s, code: jsErrCode(rawValue: 0))) }
        }
    }

    // MARK: pull

    func startFetching(ctx: ConnCtx) {
        cond.lock(); fetching = true; cond.unlock()
        spawn("js-fetch-\(name)") { self.fetchLoop(ctx: ctx) }
    }

    private func fetchLoop(ctx: ConnCtx) {
        defer {
            cond.lock(); fetching = false; cond.broadcast(); cond.unlock()
        }
        guard let sub = sub else { return }
        while !isStopping && !exiting.isSet {
            var list = natsMsgList()
            var code = jsErrCode(rawValue: 0)
            let s = natsSubscription_Fetch(&list, sub, batch, fetchTimeoutMs, &code)
            if s == NATS_OK {
                // Messages already fetched are reported and acked even when a stop came meanwhile.
                for i in 0..<Int(list.Count) {
                    if let msg = list.Msgs[i] { process(msg) }
                }
                natsMsgList_Destroy(&list)
                continue
            }
            // A fetch that times out with no messages is normal (also while disconnected).
            if s == NATS_TIMEOUT { continue }
            let e = jsError(s, code: code)
            if s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION || ctx.isClosed {
                // Nothing more can come: the connection or the subscription is gone.
                if !isStopping && !exiting.isSet {
                    reportError(e, force: true)
                    events.log("js_consume \(name): fetching ends (\(e.native ?? "") \(e.message))")
                }
                return
            }
            reportError(e)
            // Failures such as no responders come back at once: do not spin.
            var slept = 0
            while slept < 100 && !isStopping && !exiting.isSet {
                usleep(10_000)
                slept += 10
            }
        }
    }
}

/// Message handler of a push js_consume (ManualAck): report, then ack.
func cbJsMessage(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?,
                 _ closure: UnsafeMutableRawPointer?) {
    guard let msg else { return }
    defer { natsMsg_Destroy(msg) }
    guard let consumer = JsConsumer.from(closure), !consumer.isStopping else { return }
    consumer.process(msg)
}

// MARK: - js_ack ranges

/// One `js_ack` in a range.
struct JsAckEntry {
    let jsStream: String
    let jsSeq: UInt64
    let duplicate: Bool
}

/// Batches consecutive `js_ack`s whose stream sequences run in step with the publish sequences
/// into ranges {from, to, js_seq_from, js_seq_to}.
func jsAckBatcher(stream: String) -> RangeBatcher<JsAckEntry> {
    RangeBatcher(event: "js_ack", stream: stream,
                 extends: { run, ack in
                     ack.jsStream == run.first.jsStream && ack.jsSeq == run.last.jsSeq + 1
                         && !ack.duplicate && !run.first.duplicate
                 },
                 fields: { run in
                     var f: Fieldset = [("js_stream", .str(run.first.jsStream))]
                     if run.from == run.to {
                         f.append(("js_seq", .uint(run.first.jsSeq)))
                     } else {
                         f += [("js_seq_from", .uint(run.first.jsSeq)), ("js_seq_to", .uint(run.last.jsSeq))]
                     }
                     f.append(("duplicate", .bool(run.first.duplicate)))
                     return f
                 })
}

// The ops of DRIVER-PROTOCOL v1 on top of libnats (the JetStream ops of v1.1 are in JetStream.swift).

#if canImport(Glibc)
import Glibc
#endif
import CNATS
import Foundation

let capabilities = [
    "publish", "subscribe", "queue_subscribe", "request", "reply", "flush", "drain", "stats",
    "lame_duck", "discovered_servers", "retry_on_failed_connect", "reconnect_jitter",
    "reconnect_buffer", "no_randomize", "ignore_discovered_servers", "credentials", "jetstream",
]

/// Connect options this driver maps onto natsOptions_*.
let knownConnectOptions: Set<String> = [
    "allow_reconnect", "max_reconnects", "reconnect_wait_ms", "reconnect_jitter_ms",
    "reconnect_buffer_bytes", "ping_interval_ms", "max_pings_out", "connect_timeout_ms",
    "retry_on_failed_connect", "no_randomize", "ignore_discovered_servers", "user", "password",
    "token", "drain_timeout_ms", "credentials_file",
    // Extensions (natsOptions_SetMaxPendingMsgs, _SetFailRequestsOnDisconnect, _SetNoEcho).
    "max_pending_msgs", "fail_requests_on_disconnect", "no_echo",
]

typealias Fieldset = [(String, Out)]

func ack(_ id: Int64, _ result: Result<Fieldset, DriverError>) {
    switch result {
    case .success(let extra):
        events.emit("ack", [("id", .int(id)), ("ok", .bool(true))] + extra)
    case .failure(let e):
        events.emit("ack", [("id", .int(id)), ("ok", .bool(false)), ("error", e.json)])
    }
}

func ack(_ id: Int64, failure e: DriverError, extra: Fieldset) {
    events.emit("ack", [("id", .int(id)), ("ok", .bool(false)), ("error", e.json)] + extra)
}

/// Throws the error of a failed synchronous libnats call.
func check(_ s: natsStatus, _ what: String) throws {
    guard s == NATS_OK else {
        let e = lastThreadError(s)
        throw DriverError(kind: e.kind, message: "\(what): \(e.message)", native: e.native)
    }
}

/// Sleeps until CLOCK_MONOTONIC reaches `mono` (ns).
func sleepUntil(_ mono: UInt64) {
    var ts = timespec(tv_sec: Int(mono / 1_000_000_000), tv_nsec: Int(mono % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
}

/// Paces a loop of sends to `rate_per_s`: message `seq` (from 1) is due at
/// start + (seq - 1) / rate, on CLOCK_MONOTONIC. Without a rate, no waiting.
/// A send that took longer than the interval is followed by the overdue ones at once.
struct Pacer {
    let start: UInt64
    let interval: Double?

    init(ratePerS: Double?) {
        start = monoNow()
        interval = ratePerS.map { 1_000_000_000.0 / $0 }
    }

    func wait(forSeq seq: Int64) {
        if let interval { sleepUntil(start + UInt64(Double(seq - 1) * interval)) }
    }
}

/// Starts a detached worker thread.
func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let t = Thread(block: body)
    t.name = name
    t.start()
}

/// Long-running ops still under way (their acks are still to come).
final class WorkerCount: @unchecked Sendable {
    private let cond = NSCondition()
    private var running = 0

    /// Runs `body` on its own thread, counted until it returns.
    func run(_ name: String, _ body: @escaping @Sendable () -> Void) {
        cond.lock(); running += 1; cond.unlock()
        spawn(name) {
            body()
            self.cond.lock()
            self.running -= 1
            self.cond.broadcast()
            self.cond.unlock()
        }
    }

    /// Waits until no op is under way; false on timeout.
    func waitIdle(timeoutMs: Int64) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        cond.lock()
        defer { cond.unlock() }
        while running > 0 {
            if !cond.wait(until: deadline) { return running == 0 }
        }
        return true
    }
}

let workers = WorkerCount()

/// Set when the driver is about to exit: ops under way stop early.
let exiting = DoneFlag()

final class Driver: @unchecked Sendable {
    private let lock = NSLock()
    private var _conn: ConnCtx?

    var conn: ConnCtx? {
        lock.lock(); defer { lock.unlock() }
        return _conn
    }

    /// Runs one command. Long-running ops start a thread and ack from it.
    func handle(_ cmd: Command) {
        do {
            switch cmd.op {
            case "connect": ack(cmd.id, .success(try connect(cmd.fields)))
            case "subscribe": ack(cmd.id, .success(try subscribe(cmd.fields)))
            case "reply": ack(cmd.id, .success(try reply(cmd.fields)))
            case "publish": try publish(cmd.id, cmd.fields)
            case "request": try request(cmd.id, cmd.fields)
            case "flush": ack(cmd.id, .success(try flush(cmd.fields)))
            case "drain": try drain(cmd.id)
            case "close": ack(cmd.id, .success(try close()))
            case "stats": ack(cmd.id, .success(try stats()))
            case "js_publish": try jsPublish(cmd.id, cmd.fields)
            case "js_consume": ack(cmd.id, .success(try jsConsume(cmd.fields)))
            case "js_stop": try jsStop(cmd.id, cmd.fields)
            case "service":
                throw DriverError.other("nats.c has no micro-service API (service op unsupported)")
            default:
                throw DriverError.other("unknown op '\(cmd.op)'")
            }
        } catch let e as DriverError {
            ack(cmd.id, .failure(e))
        } catch let e as BadCommand {
            ack(cmd.id, .failure(.other("\(cmd.op): \(e.message)")))
        } catch {
            ack(cmd.id, .failure(.other("\(cmd.op): \(error)")))
        }
    }

    /// Before exiting: closes the connection (if open), waits for its closed
    /// callback, then gives ops under way a moment to finish and ack.
    func shutdown() {
        exiting.set()
        // JetStream consumers first: a fetch under way finishes and acks what it got.
        conn?.stopConsumers()
        if let ctx = conn, let nc = ctx.nc, !ctx.isClosed {
            natsConnection_Close(nc)
            if !ctx.waitClosed(timeoutMs: 5000) {
                events.log("exit: no closed callback within 5 s")
            }
        }
        if !workers.waitIdle(timeoutMs: 3000) {
            events.log("exit: ops still under way after 3 s; their acks are lost")
        }
    }

    func requireConn() throws -> (ConnCtx, OpaquePointer) {
        guard let ctx = conn, let nc = ctx.nc else {
            throw DriverError.other("no connection: send a successful connect first")
        }
        return (ctx, nc)
    }

    // MARK: connect

    private func connect(_ f: Fields) throws -> Fieldset {
        if let cur = conn, !cur.isClosed {
            throw DriverError.other("connect: a connection is already open; close it first")
        }
        let servers = try f.stringList("servers") ?? []
        guard !servers.isEmpty else { throw BadCommand(message: "missing field 'servers'") }
        let name = try f.string("name")
        let o = try f.object("options") ?? Fields([:], prefix: "options.")
        for key in o.values.keys.sorted() where !knownConnectOptions.contains(key) {
            throw DriverError.other("connect option '\(key)' is not supported by nats.c \(libraryVersion)")
        }
        // nats.c 3.4.1 copies these into its CONNECT JSON without escaping:
        // a quote or backslash makes the server reject the connection.
        for (field, value) in [("name", name), ("options.user", try o.string("user")),
                               ("options.password", try o.string("password")),
                               ("options.token", try o.string("token"))] {
            if let value, value.contains("\"") || value.contains("\\") {
                throw DriverError.other("connect: '\(field)' contains '\"' or '\\', which nats.c "
                                        + "\(libraryVersion) does not escape in its CONNECT protocol line")
            }
        }
        let ctx = ConnCtx(drainTimeoutMs: try o.int("drain_timeout_ms"))

        var optsOut: OpaquePointer? = nil
        try check(natsOptions_Create(&optsOut), "natsOptions_Create")
        guard let opts = optsOut else { throw DriverError.other("natsOptions_Create returned no options") }
        defer { natsOptions_Destroy(opts) }

        var cServers = servers.map { UnsafePointer<CChar>(strdup($0)) }
        defer { for p in cServers { free(UnsafeMutablePointer(mutating: p)) } }
        try check(natsOptions_SetServers(opts, &cServers, Int32(cServers.count)), "servers")
        if let name { try check(natsOptions_SetName(opts, name), "name") }

        if let v = try o.bool("allow_reconnect") {
            try check(natsOptions_SetAllowReconnect(opts, v), "allow_reconnect")
        }
        if let v = try o.int("max_reconnects") {
            // nats.c: a negative maximum means "retry forever".
            try check(natsOptions_SetMaxReconnect(opts, Int32(clamping: v)), "max_reconnects")
        }
        if let v = try o.int("reconnect_wait_ms") {
            try check(natsOptions_SetReconnectWait(opts, v), "reconnect_wait_ms")
        }
        if let v = try o.int("reconnect_jitter_ms") {
            try check(natsOptions_SetReconnectJitter(opts, v, v), "reconnect_jitter_ms")
        }
        if var v = try o.int("reconnect_buffer_bytes") {
            if v == 0 {
                // 0 means "default (8MB)" to nats.c; 1 byte is the nearest to "no buffer".
                v = 1
                events.log("reconnect_buffer_bytes 0 is nats.c's default (8MB): using 1 byte instead")
            }
            try check(natsOptions_SetReconnectBufSize(opts, Int32(clamping: v)), "reconnect_buffer_bytes")
        }
        if let v = try o.int("ping_interval_ms") {
            try check(natsOptions_SetPingInterval(opts, v), "ping_interval_ms")
        }
        if let v = try o.int("max_pings_out") {
            try check(natsOptions_SetMaxPingsOut(opts, Int32(clamping: v)), "max_pings_out")
        }
        if let v = try o.int("connect_timeout_ms") {
            try check(natsOptions_SetTimeout(opts, v), "connect_timeout_ms")
        }
        if let v = try o.bool("no_randomize") {
            try check(natsOptions_SetNoRandomize(opts, v), "no_randomize")
        }
        if let v = try o.bool("ignore_discovered_servers") {
            try check(natsOptions_SetIgnoreDiscoveredServers(opts, v), "ignore_discovered_servers")
        }
        let user = try o.string("user"), password = try o.string("password")
        if user != nil || password != nil {
            try check(natsOptions_SetUserInfo(opts, user, password), "user/password")
        }
        if let v = try o.string("token") {
            try check(natsOptions_SetToken(opts, v), "token")
        }
        if let v = try o.string("credentials_file") {
            // nats.c reads the file again at every connect and reconnect, for the JWT and to sign the nonce.
            try check(natsOptions_SetUserCredentialsFromFiles(opts, v, nil), "credentials_file")
        }
        if let v = try o.int("max_pending_msgs") {
            try check(natsOptions_SetMaxPendingMsgs(opts, Int32(clamping: v)), "max_pending_msgs")
        }
        if let v = try o.bool("fail_requests_on_disconnect") {
            try check(natsOptions_SetFailRequestsOnDisconnect(opts, v), "fail_requests_on_disconnect")
        }
        if let v = try o.bool("no_echo") {
            try check(natsOptions_SetNoEcho(opts, v), "no_echo")
        }
        let retry = try o.bool("retry_on_failed_connect") ?? false
        if retry {
            try check(natsOptions_SetRetryOnFailedConnect(opts, true, cbConnected, ctx.closurePointer),
                      "retry_on_failed_connect")
        }

        try check(natsOptions_SetDisconnectedCB(opts, cbDisconnected, ctx.closurePointer), "disconnected callback")
        try check(natsOptions_SetReconnectedCB(opts, cbReconnected, ctx.closurePointer), "reconnected callback")
        try check(natsOptions_SetClosedCB(opts, cbClosed, ctx.closurePointer), "closed callback")
        try check(natsOptions_SetErrorHandler(opts, cbError, ctx.closurePointer), "error handler")
        try check(natsOptions_SetLameDuckModeCB(opts, cbLameDuck, ctx.closurePointer), "lame duck callback")
        try check(natsOptions_SetDiscoveredServersCB(opts, cbDiscoveredServers, ctx.closurePointer),
                  "discovered servers callback")

        lock.lock(); _conn = ctx; lock.unlock()

        var ncOut: OpaquePointer? = nil
        let s = natsConnection_Connect(&ncOut, opts)
        let mono = monoNow()
        switch s {
        case NATS_OK:
            ctx.nc = ncOut
            emitConnected("connected", ncOut, mono: mono)
            return []
        case NATS_NOT_YET_CONNECTED:
            // retry_on_failed_connect: cbConnected emits "connected" later.
            ctx.nc = ncOut
            return [("pending", .bool(true))]
        default:
            let e = lastThreadError(s)
            ctx.markClosed()
            throw e
        }
    }

    // MARK: subscribe / reply

    private func subscribe(_ f: Fields) throws -> Fieldset {
        let subject = try f.requiredString("subject")
        let queue = try f.string("queue")
        let name = try f.string("sub") ?? subject
        return try makeSub(subject: subject, queue: queue, name: name, handler: cbMessage)
    }

    private func reply(_ f: Fields) throws -> Fieldset {
        let subject = try f.requiredString("subject")
        let queue = try f.string("queue")
        return try makeSub(subject: subject, queue: queue, name: "reply:" + subject, handler: cbReply)
    }

    private func makeSub(subject: String, queue: String?, name: String,
                         handler: natsMsgHandler) throws -> Fieldset {
        let (ctx, nc) = try requireConn()
        let sctx = SubCtx(name: name)
        let closure = sctx.closurePointer
        var sub: OpaquePointer? = nil
        let s: natsStatus
        if let queue {
            s = natsConnection_QueueSubscribe(&sub, nc, subject, queue, handler, closure)
        } else {
            s = natsConnection_Subscribe(&sub, nc, subject, handler, closure)
        }
        guard s == NATS_OK else {
            Unmanaged<SubCtx>.fromOpaque(closure).release()
            throw lastThreadError(s)
        }
        ctx.register(sub: sub, name: name)
        // Make sure the server has the interest before acking, when connected.
        if natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED {
            let fs = natsConnection_FlushTimeout(nc, 2000)
            if fs != NATS_OK {
                let e = lastThreadError(fs)
                events.log("subscribe \(name): flush after SUB failed: \(e.message)")
                return [("flushed", .bool(false))]
            }
            return [("flushed", .bool(true))]
        }
        return [("flushed", .bool(false))]
    }

    // MARK: publish

    private func publish(_ id: Int64, _ f: Fields) throws {
        let (_, nc0) = try requireConn()
        let nc = SendablePointer(nc0)
        let subject = try f.requiredString("subject")
        let stream = try f.string("stream") ?? subject
        let count = try f.int("count") ?? 1
        let rate = try f.double("rate_per_s")
        let size = Int(try f.int("payload_bytes") ?? 0)
        guard count >= 0 else { throw BadCommand(message: "field 'count' must be >= 0") }
        if let rate, !(rate > 0) { throw BadCommand(message: "field 'rate_per_s' must be > 0") }
        guard size >= 0 else { throw BadCommand(message: "field 'payload_bytes' must be >= 0") }

        workers.run("publish-\(id)") {
            var okCount: Int64 = 0, failed: Int64 = 0
            var firstError: DriverError? = nil
            let batcher = rate == nil ? publishedBatcher(stream: stream) : nil
            let done = DoneFlag()
            batcher?.startFlusher("publish-\(id)-flusher", until: done)
            let pacer = Pacer(ratePerS: rate)
            var seq: Int64 = 1
            while seq <= count && !exiting.isSet {
                pacer.wait(forSeq: seq)
                let payload = makePayload(seq: seq, stream: stream, size: size)
                let sent = monoNow()
                let s = payload.withUnsafeBytes { buf in
                    natsConnection_Publish(nc.p, subject, buf.baseAddress, Int32(buf.count))
                }
                let mono = monoNow()
                var err: DriverError? = nil
                if s == NATS_OK {
                    okCount += 1
                } else {
                    failed += 1
                    err = lastThreadError(s)
                    if firstError == nil { firstError = err }
                }
                if let batcher {
                    batcher.add(seq: seq, err, mono: mono, call: mono - sent)
                } else {
                    var ev: Fieldset = [("stream", .str(stream)), ("seq", .int(seq)), ("ok", .bool(err == nil)), ("call_ns", .uint(mono - sent))]
                    if let err { ev.append(("error", err.json)) }
                    events.emit("published", ev, mono: mono)
                }
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

    // MARK: request

    private func request(_ id: Int64, _ f: Fields) throws {
        let (_, nc0) = try requireConn()
        let nc = SendablePointer(nc0)
        let subject = try f.requiredString("subject")
        let stream = try f.string("stream") ?? subject
        let count = try f.int("count") ?? 1
        let timeoutMs = try f.int("timeout_ms") ?? 2000
        let intervalMs = try f.int("interval_ms") ?? 0
        let size = Int(try f.int("payload_bytes") ?? 0)
        guard count >= 0 else { throw BadCommand(message: "field 'count' must be >= 0") }
        guard timeoutMs > 0 else { throw BadCommand(message: "field 'timeout_ms' must be > 0") }
        guard intervalMs >= 0 else { throw BadCommand(message: "field 'interval_ms' must be >= 0") }
        guard size >= 0 else { throw BadCommand(message: "field 'payload_bytes' must be >= 0") }

        workers.run("request-\(id)") {
            var okCount: Int64 = 0, failed: Int64 = 0
            var firstError: DriverError? = nil
            var nextStart = monoNow()
            var seq: Int64 = 1
            while seq <= count && !exiting.isSet {
                if seq > 1 && intervalMs > 0 { sleepUntil(nextStart) }
                let payload = makePayload(seq: seq, stream: stream, size: size)
                var reply: OpaquePointer? = nil
                let t0 = monoNow()
                nextStart = t0 + UInt64(intervalMs) * 1_000_000
                let s = payload.withUnsafeBytes { buf in
                    natsConnection_Request(&reply, nc.p, subject, buf.baseAddress, Int32(buf.count), timeoutMs)
                }
                let t1 = monoNow()
                var ev: Fieldset = [("stream", .str(stream)), ("seq", .int(seq)), ("ok", .bool(s == NATS_OK))]
                if s == NATS_OK {
                    okCount += 1
                    if let reply {
                        let (rseq, _) = parsePayload(natsMsg_GetData(reply), Int(natsMsg_GetDataLength(reply)))
                        ev.append(("reply_seq", .int(rseq)))
                        natsMsg_Destroy(reply)
                    }
                } else {
                    failed += 1
                    let err = lastThreadError(s)
                    if firstError == nil { firstError = err }
                    ev.append(("error", err.json))
                }
                ev.append(("latency_ns", .uint(t1 - t0)))
                events.emit("request_result", ev, mono: t1)
                seq += 1
            }
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

    // MARK: flush / drain / close / stats

    private func flush(_ f: Fields) throws -> Fieldset {
        let (_, nc) = try requireConn()
        let timeoutMs = try f.int("timeout_ms") ?? 10_000
        guard timeoutMs > 0 else { throw BadCommand(message: "field 'timeout_ms' must be > 0") }
        let s = natsConnection_FlushTimeout(nc, timeoutMs)
        if s != NATS_OK { throw lastThreadError(s) }
        return []
    }

    /// Acks once the connection has drained and closed.
    private func drain(_ id: Int64) throws {
        let (ctx, nc0) = try requireConn()
        // JetStream consumers stop first (as for close): a fetch under way finishes and acks
        // what it got, rather than failing when nats.c drains its subscription.
        ctx.stopConsumers()
        let started = monoNow()
        let s: natsStatus
        if let t = ctx.drainTimeoutMs {
            s = natsConnection_DrainTimeout(nc0, t)
        } else {
            s = natsConnection_Drain(nc0)
        }
        if s != NATS_OK { throw lastThreadError(s) }
        // nats.c's default drain timeout is 30 s.
        let waitMs = (ctx.drainTimeoutMs ?? 30_000) + 5_000
        workers.run("drain-\(id)") {
            if !ctx.waitClosed(timeoutMs: waitMs) {
                ack(id, .failure(DriverError(kind: "timeout",
                                             message: "connection not closed \(waitMs) ms after drain started",
                                             native: nil)))
                return
            }
            if let e = ctx.asyncError(NATS_TIMEOUT, after: started) {
                ack(id, .failure(e))
            } else {
                ack(id, .success([]))
            }
        }
    }

    private func close() throws -> Fieldset {
        let (ctx, nc) = try requireConn()
        ctx.stopConsumers()
        natsConnection_Close(nc)
        if !ctx.waitClosed(timeoutMs: 5000) {
            events.log("close: no closed callback within 5 s")
        }
        return []
    }

    private func stats() throws -> Fieldset {
        let (_, nc) = try requireConn()
        var st: OpaquePointer? = nil
        try check(natsStatistics_Create(&st), "natsStatistics_Create")
        defer { natsStatistics_Destroy(st) }
        try check(natsConnection_GetStats(nc, st), "natsConnection_GetStats")
        var inMsgs: UInt64 = 0, inBytes: UInt64 = 0, outMsgs: UInt64 = 0, outBytes: UInt64 = 0
        var reconnects: UInt64 = 0
        try check(natsStatistics_GetCounts(st, &inMsgs, &inBytes, &outMsgs, &outBytes, &reconnects),
                  "natsStatistics_GetCounts")
        events.emit("stats", [
            ("in_msgs", .uint(inMsgs)), ("out_msgs", .uint(outMsgs)),
            ("in_bytes", .uint(inBytes)), ("out_bytes", .uint(outBytes)),
            ("reconnects", .uint(reconnects)),
        ])
        return []
    }
}

/// A libnats handle handed to a worker thread. libnats objects are thread-safe.
struct SendablePointer: @unchecked Sendable {
    let p: OpaquePointer
    init(_ p: OpaquePointer) { self.p = p }
}

final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// Batches the per-seq events of one unpaced publish into ranges: a run of consecutive publish
/// seqs, extended while the next seq follows and `extends` accepts its entry. A run is written as
/// `event` with {stream, seq} or {stream, from, to}, then `fields`, then first_mono_ns (ranges
/// only) and call_ns (the longest call in the run), at the run's last mono time. Runs are flushed
/// when broken, by the 50 ms flusher and at stop.
final class RangeBatcher<Entry>: @unchecked Sendable {
    struct Run {
        var from: Int64
        var to: Int64
        var first: Entry
        var last: Entry
        var firstMono: UInt64
        var lastMono: UInt64
        /// The longest publish call in the run.
        var longestCall: UInt64
    }

    private let lock = NSLock()
    private let event: String
    private let stream: String
    private let extends: (Run, Entry) -> Bool
    private let fields: (Run) -> Fieldset
    private var run: Run? = nil

    init(event: String, stream: String,
         extends: @escaping (Run, Entry) -> Bool, fields: @escaping (Run) -> Fieldset) {
        self.event = event
        self.stream = stream
        self.extends = extends
        self.fields = fields
    }

    func add(seq: Int64, _ entry: Entry, mono: UInt64, call: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if var r = run, seq == r.to + 1, extends(r, entry) {
            r.to = seq
            r.last = entry
            r.lastMono = mono
            r.longestCall = max(r.longestCall, call)
            run = r
            return
        }
        flushLocked()
        run = Run(from: seq, to: seq, first: entry, last: entry, firstMono: mono, lastMono: mono, longestCall: call)
    }

    func flush() {
        lock.lock()
        flushLocked()
        lock.unlock()
    }

    /// Flushes every 50 ms until `done` is set.
    func startFlusher(_ name: String, until done: DoneFlag) {
        spawn(name) { [self] in
            while !done.isSet {
                usleep(50_000)
                flush()
            }
        }
    }

    private func flushLocked() {
        guard let r = run else { return }
        run = nil
        var f: Fieldset = [("stream", .str(stream))]
        if r.from == r.to {
            f.append(("seq", .int(r.from)))
        } else {
            f.append(("from", .int(r.from)))
            f.append(("to", .int(r.to)))
        }
        f += fields(r)
        if r.from != r.to { f.append(("first_mono_ns", .uint(r.firstMono))) }
        f.append(("call_ns", .uint(r.longestCall)))
        events.emit(event, f, mono: r.lastMono)
    }
}

/// Batches consecutive same-outcome `published` events into ranges.
func publishedBatcher(stream: String) -> RangeBatcher<DriverError?> {
    RangeBatcher(event: "published", stream: stream,
                 extends: { run, error in error?.key == run.first?.key },
                 fields: { run in
                     var f: Fieldset = [("ok", .bool(run.first == nil))]
                     if let error = run.first { f.append(("error", error.json)) }
                     return f
                 })
}

let libraryVersion: String = nats_GetVersion().map { String(cString: $0) } ?? "unknown"

let driver = Driver()

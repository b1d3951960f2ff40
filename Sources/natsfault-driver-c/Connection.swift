// One libnats connection and its callbacks. libnats calls these on its own
// threads; each turns into one event line.

import CNATS
import Foundation

/// State shared between the command loop, worker threads and libnats
/// callbacks for one connection. Passed to libnats as the callbacks'
/// closure and kept alive for the rest of the process.
final class ConnCtx: @unchecked Sendable {
    private let cond = NSCondition()
    private var _nc: OpaquePointer?
    private var _closed = false
    private var subNames: [OpaquePointer: String] = [:]
    private var asyncErrors: [(mono: UInt64, status: natsStatus, error: DriverError)] = []
    /// The connection's JetStream context (natsConnection_JetStream), made at the first JetStream op.
    private var _js: OpaquePointer?
    /// JetStream consumers under way, by report name, and by their libnats subscription.
    private var consumers: [String: JsConsumer] = [:]
    private var consumerSubs: [OpaquePointer: JsConsumer] = [:]

    let drainTimeoutMs: Int64?

    init(drainTimeoutMs: Int64?) {
        self.drainTimeoutMs = drainTimeoutMs
    }

    var closurePointer: UnsafeMutableRawPointer {
        // Retained, on purpose never released: libnats may call back until
        // the process ends.
        Unmanaged.passRetained(self).toOpaque()
    }

    static func from(_ p: UnsafeMutableRawPointer?) -> ConnCtx? {
        guard let p else { return nil }
        return Unmanaged<ConnCtx>.fromOpaque(p).takeUnretainedValue()
    }

    var nc: OpaquePointer? {
        get { cond.lock(); defer { cond.unlock() }; return _nc }
        set { cond.lock(); _nc = newValue; cond.unlock() }
    }

    var isClosed: Bool {
        cond.lock()
        let (closed, nc) = (_closed, _nc)
        cond.unlock()
        if closed { return true }
        if let nc { return natsConnection_IsClosed(nc) }
        return false
    }

    func markClosed() {
        cond.lock()
        _closed = true
        cond.broadcast()
        cond.unlock()
    }

    /// Waits for the closed callback; false on timeout.
    func waitClosed(timeoutMs: Int64) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        cond.lock()
        defer { cond.unlock() }
        while !_closed {
            if !cond.wait(until: deadline) { return _closed }
        }
        return true
    }

    func register(sub: OpaquePointer?, name: String) {
        guard let sub else { return }
        cond.lock(); subNames[sub] = name; cond.unlock()
    }

    func subName(_ sub: OpaquePointer?) -> String? {
        guard let sub else { return nil }
        cond.lock(); defer { cond.unlock() }
        return subNames[sub]
    }

    /// The JetStream context, made once per connection and never destroyed (a
    /// publish or a subscription under way may still use it).
    func jetStream() throws -> OpaquePointer {
        cond.lock(); defer { cond.unlock() }
        if let js = _js { return js }
        guard let nc = _nc else { throw DriverError.other("no connection: send a successful connect first") }
        var js: OpaquePointer? = nil
        let s = natsConnection_JetStream(&js, nc, nil)
        guard s == NATS_OK, let js else { throw lastThreadError(s) }
        _js = js
        return js
    }

    /// Registers a consumer under its report name; false if the name is taken.
    func addConsumer(_ c: JsConsumer) -> Bool {
        cond.lock(); defer { cond.unlock() }
        if consumers[c.name] != nil { return false }
        consumers[c.name] = c
        return true
    }

    func setConsumerSub(_ sub: OpaquePointer, _ c: JsConsumer) {
        cond.lock(); consumerSubs[sub] = c; cond.unlock()
    }

    func removeConsumer(_ c: JsConsumer) {
        cond.lock()
        if consumers[c.name] === c { consumers[c.name] = nil }
        for (sub, other) in consumerSubs where other === c { consumerSubs[sub] = nil }
        cond.unlock()
    }

    func consumer(named name: String) -> JsConsumer? {
        cond.lock(); defer { cond.unlock() }
        return consumers[name]
    }

    func consumer(forSub sub: OpaquePointer?) -> JsConsumer? {
        guard let sub else { return nil }
        cond.lock(); defer { cond.unlock() }
        return consumerSubs[sub]
    }

    /// Stops every consumer (close, exit): all are told at once, then each is waited for.
    func stopConsumers() {
        cond.lock()
        let all = Array(consumers.values)
        cond.unlock()
        for c in all { c.requestStop() }
        for c in all { c.stop(ctx: self) }
    }

    func noteAsyncError(_ s: natsStatus, _ e: DriverError, mono: UInt64) {
        cond.lock(); asyncErrors.append((mono, s, e)); cond.unlock()
    }

    /// First asynchronous error with status `s` reported after `mono`.
    func asyncError(_ s: natsStatus, after mono: UInt64) -> DriverError? {
        cond.lock(); defer { cond.unlock() }
        return asyncErrors.first { $0.mono >= mono && $0.status == s }?.error
    }
}

/// Per-subscription closure: the subscription's report name.
final class SubCtx: @unchecked Sendable {
    let name: String
    init(name: String) { self.name = name }

    var closurePointer: UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }

    static func from(_ p: UnsafeMutableRawPointer?) -> SubCtx? {
        guard let p else { return nil }
        return Unmanaged<SubCtx>.fromOpaque(p).takeUnretainedValue()
    }
}

func connectedURL(_ nc: OpaquePointer?) -> String? {
    guard let nc else { return nil }
    var buf = [CChar](repeating: 0, count: 1024)
    guard natsConnection_GetConnectedUrl(nc, &buf, buf.count) == NATS_OK else { return nil }
    let url = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return url.isEmpty ? nil : url
}

func connectedServerID(_ nc: OpaquePointer?) -> String? {
    guard let nc else { return nil }
    var buf = [CChar](repeating: 0, count: 256)
    guard natsConnection_GetConnectedServerId(nc, &buf, buf.count) == NATS_OK else { return nil }
    let id = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return id.isEmpty ? nil : id
}

/// `connected` / `reconnected` {url, server_id}.
func emitConnected(_ event: String, _ nc: OpaquePointer?, mono: UInt64) {
    var f: [(String, Out)] = []
    if let url = connectedURL(nc) { f.append(("url", .str(url))) }
    if let id = connectedServerID(nc) { f.append(("server_id", .str(id))) }
    events.emit(event, f, mono: mono)
}

// MARK: - libnats callbacks (C function pointers: no captures)

func cbConnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    emitConnected("connected", nc, mono: monoNow())
}

func cbReconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    emitConnected("reconnected", nc, mono: monoNow())
}

func cbDisconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    var f: [(String, Out)] = []
    if let e = connectionLastError(nc) { f.append(("error", e.json)) }
    events.emit("disconnected", f, mono: mono)
}

func cbClosed(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    var f: [(String, Out)] = []
    if let e = connectionLastError(nc) { f.append(("error", e.json)) }
    events.emit("closed", f, mono: mono)
    ConnCtx.from(closure)?.markClosed()
}

func cbError(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ status: natsStatus,
             _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    let ctx = ConnCtx.from(closure)
    var e = asyncError(nc, status)
    ctx?.noteAsyncError(status, e, mono: mono)
    // An error on a JetStream consumer's subscription (missed heartbeats, a sequence mismatch,
    // a slow consumer) is that consumer's: js_consumer_error, at most one a second.
    if let consumer = ctx?.consumer(forSub: sub) {
        e = jsErrorKinds(e, status: status, code: jsErrCode(rawValue: 0))
        consumer.reportError(e, mono: mono)
        return
    }
    var f: [(String, Out)] = [("error", e.json)]
    if let name = ctx?.subName(sub) { f.append(("sub", .str(name))) }
    events.emit("error", f, mono: mono)
}

func cbLameDuck(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    var f: [(String, Out)] = []
    if let url = connectedURL(nc) { f.append(("url", .str(url))) }
    events.emit("lame_duck", f, mono: mono)
}

func cbDiscoveredServers(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    var urls: [Out] = []
    var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
    var count: Int32 = 0
    if natsConnection_GetDiscoveredServers(nc, &list, &count) == NATS_OK, let list {
        for i in 0..<Int(count) {
            if let s = list[i] {
                urls.append(.str(String(cString: s)))
                free(s)
            }
        }
        free(list)
    }
    events.emit("discovered_servers", [("urls", .arr(urls))], mono: mono)
}

/// Message handler of `subscribe`: one `message` event per message.
func cbMessage(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?,
               _ closure: UnsafeMutableRawPointer?) {
    let mono = monoNow()
    guard let msg else { return }
    let name = SubCtx.from(closure)?.name ?? ""
    let subject = natsMsg_GetSubject(msg).map { String(cString: $0) } ?? ""
    let length = Int(natsMsg_GetDataLength(msg))
    let (seq, stream) = parsePayload(natsMsg_GetData(msg), length)
    natsMsg_Destroy(msg)
    var f: [(String, Out)] = [("sub", .str(name)), ("subject", .str(subject)), ("seq", .int(seq))]
    if let stream { f.append(("stream", .str(stream))) }
    f.append(("bytes", .int(length)))
    events.emit("message", f, mono: mono)
}

/// Message handler of `reply`: answers each request with its own payload.
func cbReply(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?,
             _ closure: UnsafeMutableRawPointer?) {
    guard let msg else { return }
    defer { natsMsg_Destroy(msg) }
    guard let reply = natsMsg_GetReply(msg), reply.pointee != 0 else { return }
    let s = natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg))
    if s != NATS_OK {
        let e = lastThreadError(s)
        let name = SubCtx.from(closure)?.name ?? ""
        events.log("reply \(name): answering a request failed: \(e.native ?? "") \(e.message)")
    }
}

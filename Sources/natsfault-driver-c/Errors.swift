// natsStatus → the shared error vocabulary of DRIVER-PROTOCOL v1.

import CNATS

/// `{"kind","message","native"}`.
struct DriverError: Error {
    let kind: String
    let message: String
    let native: String?

    var json: Out {
        var f: [(String, Out)] = [("kind", .str(kind)), ("message", .str(message))]
        if let native { f.append(("native", .str(native))) }
        return .obj(f)
    }

    static func other(_ message: String) -> DriverError {
        DriverError(kind: "other", message: message, native: nil)
    }

    /// Same outcome for batching purposes.
    var key: String { kind + "\u{1}" + message + "\u{1}" + (native ?? "") }
}

/// The enum constant's name, e.g. "NATS_TIMEOUT".
func statusName(_ s: natsStatus) -> String {
    switch s {
    case NATS_OK: return "NATS_OK"
    case NATS_ERR: return "NATS_ERR"
    case NATS_PROTOCOL_ERROR: return "NATS_PROTOCOL_ERROR"
    case NATS_IO_ERROR: return "NATS_IO_ERROR"
    case NATS_LINE_TOO_LONG: return "NATS_LINE_TOO_LONG"
    case NATS_CONNECTION_CLOSED: return "NATS_CONNECTION_CLOSED"
    case NATS_NO_SERVER: return "NATS_NO_SERVER"
    case NATS_STALE_CONNECTION: return "NATS_STALE_CONNECTION"
    case NATS_SECURE_CONNECTION_WANTED: return "NATS_SECURE_CONNECTION_WANTED"
    case NATS_SECURE_CONNECTION_REQUIRED: return "NATS_SECURE_CONNECTION_REQUIRED"
    case NATS_CONNECTION_DISCONNECTED: return "NATS_CONNECTION_DISCONNECTED"
    case NATS_CONNECTION_AUTH_FAILED: return "NATS_CONNECTION_AUTH_FAILED"
    case NATS_NOT_PERMITTED: return "NATS_NOT_PERMITTED"
    case NATS_NOT_FOUND: return "NATS_NOT_FOUND"
    case NATS_ADDRESS_MISSING: return "NATS_ADDRESS_MISSING"
    case NATS_INVALID_SUBJECT: return "NATS_INVALID_SUBJECT"
    case NATS_INVALID_ARG: return "NATS_INVALID_ARG"
    case NATS_INVALID_SUBSCRIPTION: return "NATS_INVALID_SUBSCRIPTION"
    case NATS_INVALID_TIMEOUT: return "NATS_INVALID_TIMEOUT"
    case NATS_ILLEGAL_STATE: return "NATS_ILLEGAL_STATE"
    case NATS_SLOW_CONSUMER: return "NATS_SLOW_CONSUMER"
    case NATS_MAX_PAYLOAD: return "NATS_MAX_PAYLOAD"
    case NATS_MAX_DELIVERED_MSGS: return "NATS_MAX_DELIVERED_MSGS"
    case NATS_INSUFFICIENT_BUFFER: return "NATS_INSUFFICIENT_BUFFER"
    case NATS_NO_MEMORY: return "NATS_NO_MEMORY"
    case NATS_SYS_ERROR: return "NATS_SYS_ERROR"
    case NATS_TIMEOUT: return "NATS_TIMEOUT"
    case NATS_FAILED_TO_INITIALIZE: return "NATS_FAILED_TO_INITIALIZE"
    case NATS_NOT_INITIALIZED: return "NATS_NOT_INITIALIZED"
    case NATS_SSL_ERROR: return "NATS_SSL_ERROR"
    case NATS_NO_SERVER_SUPPORT: return "NATS_NO_SERVER_SUPPORT"
    case NATS_NOT_YET_CONNECTED: return "NATS_NOT_YET_CONNECTED"
    case NATS_DRAINING: return "NATS_DRAINING"
    case NATS_INVALID_QUEUE_NAME: return "NATS_INVALID_QUEUE_NAME"
    case NATS_NO_RESPONDERS: return "NATS_NO_RESPONDERS"
    case NATS_MISMATCH: return "NATS_MISMATCH"
    case NATS_MISSED_HEARTBEAT: return "NATS_MISSED_HEARTBEAT"
    default: return "natsStatus(\(s.rawValue))"
    }
}

func statusText(_ s: natsStatus) -> String {
    guard let p = natsStatus_GetText(s) else { return statusName(s) }
    return String(cString: p)
}

/// The kind for a status and the text that came with it. Server `-ERR`
/// texts are recognised first: nats.c reports several of them under a
/// generic status (e.g. 'maximum connections exceeded' is NATS_ERR).
func errorKind(_ s: natsStatus, text: String) -> String {
    let t = text.lowercased()
    if t.contains("maximum connections exceeded") { return "max_connections_exceeded" }
    if t.contains("authentication expired") { return "authentication_expired" }
    if t.contains("authorization violation") { return "authorization_violation" }
    if t.contains("permissions violation") { return "permissions_violation" }
    if t.contains("stale connection") { return "stale_connection" }
    // The server's -ERR 'Maximum Payload Violation' (nats.c: NATS_ERR): the same limit, enforced by the server.
    if t.contains("maximum payload") { return "max_payload_exceeded" }
    switch s {
    case NATS_STALE_CONNECTION: return "stale_connection"
    case NATS_CONNECTION_CLOSED: return "connection_closed"
    case NATS_NO_SERVER: return "no_servers"
    case NATS_TIMEOUT: return "timeout"
    case NATS_NO_RESPONDERS: return "no_responders"
    case NATS_SLOW_CONSUMER: return "slow_consumer"
    case NATS_CONNECTION_AUTH_FAILED: return "authorization_violation"
    case NATS_NOT_PERMITTED: return "permissions_violation"
    case NATS_INSUFFICIENT_BUFFER: return "reconnect_buffer_exceeded"
    case NATS_MAX_PAYLOAD: return "max_payload_exceeded"
    case NATS_DRAINING: return "draining"
    case NATS_PROTOCOL_ERROR, NATS_LINE_TOO_LONG: return "protocol_error"
    case NATS_IO_ERROR, NATS_SYS_ERROR, NATS_CONNECTION_DISCONNECTED:
        if t.contains("connection refused") { return "connection_refused" }
        return "io_error"
    default:
        if t.contains("connection refused") { return "connection_refused" }
        return "other"
    }
}

/// An error for `s`; `text` is nats's own text for it when one is known
/// (last-error text), otherwise natsStatus_GetText.
func natsError(_ s: natsStatus, text: String? = nil) -> DriverError {
    let msg = (text?.isEmpty == false) ? text! : statusText(s)
    return DriverError(kind: errorKind(s, text: msg), message: msg, native: statusName(s))
}

/// The error of a synchronous call that just failed on this thread: uses
/// nats_GetLastError's text when it belongs to the same status.
func lastThreadError(_ s: natsStatus) -> DriverError {
    var ls = NATS_OK
    if let p = nats_GetLastError(&ls), ls == s {
        return natsError(s, text: stripLocation(String(cString: p)))
    }
    return natsError(s)
}

/// nats_GetLastError prefixes its text with the source location, e.g.
/// "(conn.c:2088): No server available for connection": keep the text.
func stripLocation(_ text: String) -> String {
    guard text.hasPrefix("("), let close = text.firstIndex(of: ")"),
          text.distance(from: text.startIndex, to: close) < 40 else { return text }
    let location = text[text.index(after: text.startIndex)..<close]
    guard location.contains(".c:") || location.contains(".h:") else { return text }
    var rest = text[text.index(after: close)...]
    if rest.hasPrefix(":") { rest = rest.dropFirst() }
    let trimmed = rest.drop { $0 == " " }
    return trimmed.isEmpty ? text : String(trimmed)
}

/// The connection's last error (natsConnection_GetLastError), nil when NATS_OK.
func connectionLastError(_ nc: OpaquePointer?) -> DriverError? {
    guard let nc else { return nil }
    var p: UnsafePointer<CChar>? = nil
    let s = natsConnection_GetLastError(nc, &p)
    if s == NATS_OK { return nil }
    return natsError(s, text: p.map { stripLocation(String(cString: $0)) })
}

/// The error for a status reported asynchronously (error handler). nats.c sets
/// the callback thread's last error to the error's own text before it calls the
/// handler; the connection's last error is only the fallback, because a
/// reconnect that starts before the handler runs clears it (an expired JWT
/// then read as the status text "Authentication Violation").
func asyncError(_ nc: OpaquePointer?, _ s: natsStatus) -> DriverError {
    var ts = NATS_OK
    if let p = nats_GetLastError(&ts), ts == s {
        let text = stripLocation(String(cString: p))
        if !text.isEmpty { return natsError(s, text: text) }
    }
    if let nc {
        var p: UnsafePointer<CChar>? = nil
        let ls = natsConnection_GetLastError(nc, &p)
        if ls == s, let p {
            return natsError(s, text: stripLocation(String(cString: p)))
        }
    }
    return natsError(s)
}

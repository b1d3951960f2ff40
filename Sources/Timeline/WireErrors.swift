/// Gives a client's events the `-ERR` its server had just sent it: `wire_error`, the server's own text.
///
/// A library often reports a server's refusal in its own words, or in none ("Expected 'PONG', got ''"
/// for `-ERR 'maximum connections exceeded'`); the proxy reads the `-ERR` on the client's link
/// (`server_err`). A client event at most `window` after a `server_err` of the same client, and before the
/// client's next `connected` or `reconnected` (a new connection, whose link may be another), carries the
/// text. `connected`, `reconnected` and `server_err` itself never carry one. Only proxied clients have
/// `server_err` events, so only their events get a `wire_error`.
///
/// Fed the events as they are recorded: the proxy records a `-ERR` before it passes it on, so the
/// `server_err` is always recorded before the client's reaction to it.
public struct WireErrors: Sendable {
    /// How long after the proxy read a `-ERR` a client event still counts as following it. Clients react within
    /// a few milliseconds (0.4–2 ms measured here); half a second leaves a loaded machine room, and is short
    /// enough that a later, unrelated event on a connection the `-ERR` did not close is not blamed on it.
    public static let window: Duration = .milliseconds(500)

    private var latest: [String: (monoNs: Int64, text: String)] = [:]

    public init() {}

    /// Notes a `server_err` or a new connection, and gives `event` the `-ERR` it follows, if any.
    public mutating func annotate(_ event: inout RecordedEvent) {
        guard let client = event.client, let kind = event.event.clientEvent else { return }
        switch kind {
        case .serverErr:
            latest[client] = (event.monoNs, event.error?.message ?? "")
        case .connected, .reconnected:
            if let last = latest[client], event.monoNs > last.monoNs { latest[client] = nil }
        default:
            if let last = latest[client], event.monoNs >= last.monoNs, event.monoNs - last.monoNs <= Self.window.nanoseconds {
                event.wireError = last.text
            }
        }
    }
}

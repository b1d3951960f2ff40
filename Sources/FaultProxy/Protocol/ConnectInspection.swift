import Foundation

/// What a client's CONNECT says that its server will refuse, read once per connection by the proxy so that a
/// refused connect explains itself in the run's timeline.
public enum ConnectInspection {
    /// The problem with a client's first protocol line, or nil when it is not a CONNECT or nothing is wrong.
    ///
    /// A user JWT without the signature of the server's nonce: nats-server refuses it ("Signature missing", then
    /// -ERR 'Authorization Violation'). An empty signature counts as none.
    public static func problem(inLine line: String) -> String? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count > 8, trimmed.prefix(7).uppercased() == "CONNECT", let open = trimmed.firstIndex(of: "{"),
              let close = trimmed.lastIndex(of: "}"), open < close,
              let object = (try? JSONSerialization.jsonObject(with: Data(trimmed[open...close].utf8))) as? [String: Any] else {
            return nil
        }
        let jwt = object["jwt"] as? String ?? "", sig = object["sig"] as? String ?? ""
        if !jwt.isEmpty && sig.isEmpty {
            return "the client's CONNECT carries a user JWT but no signature of the server's nonce (\"sig\" \(object["sig"] == nil ? "missing" : "empty")): the server refuses it"
        }
        return nil
    }
}

import Foundation
import NIOCore

/// Rewrites the server addresses a server's INFO advertises (`connect_urls`) to the proxy's listeners.
///
/// A clustered server tells its clients the client addresses of the other nodes; a client that fails
/// over to one of them would leave the proxy, and with it every fault and cut aimed at that client.
/// With the addresses rewritten to the client's own links, a proxied client reaches every node
/// through the proxy, after failover too.
public struct ConnectURLRewrite: Sendable, Hashable {
    /// `host:port` as a server advertises it → the `host:port` of the client's link to that server.
    public var addresses: [String: String]

    public init(addresses: [String: String]) { self.addresses = addresses }

    /// The INFO line with its `connect_urls` rewritten; nil when there is nothing to change.
    func rewrite(infoLine line: ByteBuffer) -> ByteBuffer? {
        let text = String(buffer: line)
        guard text.count > 5, let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"),
              var info = (try? JSONSerialization.jsonObject(with: Data(text[open...close].utf8))) as? [String: Any],
              let urls = info["connect_urls"] as? [String] else { return nil }
        let rewritten = urls.map { addresses[$0] ?? $0 }
        guard rewritten != urls else { return nil }
        info["connect_urls"] = rewritten
        guard let json = try? JSONSerialization.data(withJSONObject: info, options: [.withoutEscapingSlashes]) else { return nil }
        var out = ByteBuffer()
        out.writeString("INFO ")
        out.writeBytes(json)
        out.writeString("\r\n")
        return out
    }
}

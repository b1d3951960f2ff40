import Foundation
import NIOCore

/// Edits the JSON of a server's INFO line on its way to the client: its advertised addresses (`connect_urls`)
/// and fields the active faults set (`FlowShape.infoFields`).
enum InfoRewrite {
    /// The INFO line edited; nil when there is nothing to change (or it is not an INFO with JSON).
    static func rewrite(infoLine line: ByteBuffer, connectURLs: ConnectURLRewrite?, fields: [String: Int]) -> ByteBuffer? {
        guard connectURLs != nil || !fields.isEmpty else { return nil }
        let text = String(buffer: line)
        guard text.count > 5, let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"),
              var info = (try? JSONSerialization.jsonObject(with: Data(text[open...close].utf8))) as? [String: Any] else { return nil }
        var changed = false
        if let connectURLs, let urls = info["connect_urls"] as? [String] {
            let rewritten = connectURLs.rewrite(urls)
            if rewritten != urls { info["connect_urls"] = rewritten; changed = true }
        }
        for (key, value) in fields where (info[key] as? Int) != value {
            info[key] = value
            changed = true
        }
        guard changed, let json = try? JSONSerialization.data(withJSONObject: info, options: [.withoutEscapingSlashes]) else { return nil }
        var out = ByteBuffer()
        out.writeString("INFO ")
        out.writeBytes(json)
        out.writeString("\r\n")
        return out
    }
}

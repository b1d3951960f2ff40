// The payload format shared by all natsfault drivers: ASCII "<seq> <stream>",
// padded with '.' up to payload_bytes. Any receiver can read any publisher.

/// "<seq> <stream>" padded with '.' to `size` bytes (never truncated).
func makePayload(seq: Int64, stream: String, size: Int) -> [UInt8] {
    var bytes = Array("\(seq) \(stream)".utf8)
    if bytes.count < size {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "."), count: size - bytes.count))
    }
    return bytes
}

/// (seq, stream) from a payload; (0, nil) when it does not parse.
func parsePayload(_ data: UnsafePointer<CChar>?, _ length: Int) -> (seq: Int64, stream: String?) {
    guard let data, length > 0 else { return (0, nil) }
    return data.withMemoryRebound(to: UInt8.self, capacity: length) { p in
        let bytes = UnsafeBufferPointer(start: p, count: length)
        var i = 0
        var seq: Int64 = 0
        while i < bytes.count, i < 18, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            seq = seq * 10 + Int64(bytes[i] - 0x30)
            i += 1
        }
        guard i > 0, i < bytes.count, bytes[i] == UInt8(ascii: " ") else { return (0, nil) }
        var end = bytes.count
        while end > i + 1, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let streamBytes = bytes[(i + 1)..<end]
        guard !streamBytes.isEmpty, !streamBytes.contains(UInt8(ascii: " ")),
              let stream = String(validating: streamBytes, as: UTF8.self),
              stream != "." else {
            return (0, nil)
        }
        return (seq, stream)
    }
}

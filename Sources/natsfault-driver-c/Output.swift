// JSON Lines output for DRIVER-PROTOCOL v1: one event per line, each line
// written with a single write(2) under a lock (libnats callbacks fire on
// libnats threads) and so never interleaved with another line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// CLOCK_MONOTONIC in nanoseconds: the clock every event's `mono_ns` uses.
func monoNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A JSON value to write. Objects keep their key order so that lines read
/// naturally ("event" first, "mono_ns" last).
enum Out {
    case str(String)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case arr([Out])
    case obj([(String, Out)])
    case null

    static func int(_ v: Int) -> Out { .int(Int64(v)) }

    func encode(into s: inout String) {
        switch self {
        case .str(let v): Out.encodeString(v, into: &s)
        case .int(let v): s += String(v)
        case .uint(let v): s += String(v)
        case .bool(let v): s += v ? "true" : "false"
        case .null: s += "null"
        case .arr(let items):
            s += "["
            for (i, item) in items.enumerated() {
                if i > 0 { s += "," }
                item.encode(into: &s)
            }
            s += "]"
        case .obj(let fields):
            s += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { s += "," }
                Out.encodeString(k, into: &s)
                s += ":"
                v.encode(into: &s)
            }
            s += "}"
        }
    }

    static func encodeString(_ v: String, into s: inout String) {
        s += "\""
        for u in v.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029 {
                    let hex = String(u.value, radix: 16)
                    s += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    s.unicodeScalars.append(u)
                }
            }
        }
        s += "\""
    }
}

/// The single writer of stdout.
final class EventWriter: @unchecked Sendable {
    private let lock = NSLock()
    private var broken = false

    /// Writes `{"event":name, fields..., "mono_ns":mono}` as one line.
    func emit(_ name: String, _ fields: [(String, Out)] = [], mono: UInt64? = nil) {
        let ts = mono ?? monoNow()
        var all: [(String, Out)] = [("event", .str(name))]
        all.append(contentsOf: fields)
        all.append(("mono_ns", .uint(ts)))
        var line = ""
        line.reserveCapacity(128)
        Out.obj(all).encode(into: &line)
        line += "\n"
        writeLine(line)
    }

    private func writeLine(_ line: String) {
        var bytes = Array(line.utf8)
        lock.lock()
        defer { lock.unlock() }
        if broken { return }
        bytes.withUnsafeMutableBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(STDOUT_FILENO, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    // stdout is gone (harness died): nothing left to tell anyone.
                    broken = true
                    return
                }
                off += n
            }
        }
    }

    func log(_ text: String) {
        emit("log", [("text", .str(text))])
    }
}

/// Free-text diagnostics on stderr.
func stderrLine(_ text: String) {
    let line = "natsfault-driver-c: " + text + "\n"
    var bytes = Array(line.utf8)
    bytes.withUnsafeMutableBytes { buf in
        _ = write(STDERR_FILENO, buf.baseAddress!, buf.count)
    }
}

let events = EventWriter()

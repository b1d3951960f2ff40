import Foundation
import Logging
import NATSFaultDrivers
import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization

/// Every line one driver process wrote, parsed, with when it arrived; shared between the driver's reader and the checks.
final class Transcript: Sendable {
    struct Line: Sendable {
        var raw: String
        var receivedNs: Int64
        var object: [String: JSONValue]
        var isObject: Bool

        var event: String? { string("event") }
        func string(_ key: String) -> String? { if case .string(let v)? = object[key] { v } else { nil } }
        func int(_ key: String) -> Int? { if case .int(let v)? = object[key] { v } else { nil } }
        func bool(_ key: String) -> Bool? { if case .bool(let v)? = object[key] { v } else { nil } }
        private var error: [String: JSONValue]? { if case .object(let v)? = object["error"] { v } else { nil } }
        var errorKind: String? { if case .string(let v)? = error?["kind"] { v } else { nil } }
        var errorMessage: String? { if case .string(let v)? = error?["message"] { v } else { nil } }
    }

    let label: String
    private struct State {
        var lines: [Line] = []
        var spawnedNs: Int64 = 0
        var commands = 0
    }
    private let state = Mutex(State())

    init(label: String) { self.label = label }

    var spawnedNs: Int64 {
        get { state.withLock { $0.spawnedNs } }
        set { state.withLock { $0.spawnedNs = newValue } }
    }
    var commands: Int { state.withLock { $0.commands } }
    var count: Int { state.withLock { $0.lines.count } }

    func commandSent() { state.withLock { $0.commands += 1 } }

    func append(_ raw: String, receivedNs: Int64) {
        let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))
        let object: [String: JSONValue]? = if case .object(let o)? = parsed { o } else { nil }
        state.withLock { $0.lines.append(Line(raw: raw, receivedNs: receivedNs, object: object ?? [:], isObject: object != nil)) }
    }

    func lines(since mark: Int) -> [Line] { state.withLock { Array($0.lines[min(mark, $0.lines.count)...]) } }

    func first(where predicate: (Line) -> Bool) -> Line? { lines(since: 0).first(where: predicate) }

    /// The ack of command `id` (commands are numbered 1, 2, … in the order they were sent), if the driver wrote one.
    func ack(id: Int) -> Line? { lines(since: 0).last { $0.event == "ack" && $0.int("id") == id } }

    /// Waits until a line after `mark` satisfies `predicate` (polling every 5 ms), or `timeout` passes.
    func wait(since mark: Int, timeout: Duration, _ predicate: @Sendable (Line) -> Bool) async -> Line? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = lines(since: mark).first(where: predicate) { return line }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The sequence numbers of `event` lines after `mark` whose `key` is `value` (and whose `ok` is `ok`, when given),
    /// with ranges (`from`…`to`) expanded.
    func seqs(since mark: Int, event: String, key: String, value: String, ok: Bool? = nil) -> [Int] {
        lines(since: mark).filter { $0.event == event && $0.string(key) == value && (ok == nil || $0.bool("ok") == ok) }.flatMap { line -> [Int] in
            if let seq = line.int("seq") { return [seq] }
            if let from = line.int("from"), let to = line.int("to"), from <= to { return Array(from...to) }
            return []
        }
    }
}

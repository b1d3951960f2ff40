import Foundation
import Logging
public import NATSFaultDrivers
import NATSFaultScenario
public import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization

/// How fast the harness takes in events from one driver, for scripts/bench: every line goes the way it goes in
/// a scenario run (read, decoded, recorded in the run's event log).
public enum IngestBench {
    public struct Measurement: Sendable, Codable {
        /// Event lines the harness took in during the window.
        public var lines: Int
        /// Messages those lines account for (a line may carry a range).
        public var messages: Int
        public var seconds: Double
        /// Error kinds the driver reported meanwhile, with counts (a flood can overrun a subscriber: slow_consumer).
        public var errors: [String: Int] = [:]
    }

    /// The stand-in driver without `driver`; otherwise that driver (a name or a command) on `server` (a version prefix or path).
    public static func measure(driver: String?, count: Int, server: String?) async throws -> Measurement {
        let work = NSTemporaryDirectory() + "natsfault-ingest-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        guard let driver else { return try await synthetic(count: count, workDirectory: work) }
        let command = try DriverCatalog.resolve(driver, toolDirectory: ToolPaths.directory)
        return try await flood(command, binary: try await ConformanceRunner.server(server), count: count, workDirectory: work)
    }

    /// A stand-in driver that writes `count` message events at once after its hello (`cat` of a prepared file),
    /// so the harness, not a client library, sets the pace: from the hello to the last event recorded.
    public static func synthetic(count: Int, workDirectory: String) async throws -> Measurement {
        let events = "\(workDirectory)/events.jsonl", script = "\(workDirectory)/flood-driver"
        var text = #"{"event":"hello","protocol":1,"library":"synthetic","library_version":"0","capabilities":[],"mono_ns":\#(MonotonicClock.nowNs())}"# + "\n"
        text.reserveCapacity(count * 110)
        let base = MonotonicClock.nowNs()
        for seq in 1...count {
            text += #"{"event":"message","sub":"s","subject":"bench.flood","stream":"p","seq":\#(seq),"bytes":16,"mono_ns":\#(base + Int64(seq))}"# + "\n"
        }
        try text.write(toFile: events, atomically: true, encoding: .utf8)
        try "#!/bin/sh\ncat '\(events)'\nexec cat >/dev/null\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let log = EventLog()
        let driver = ClientDriver(client: "flood", command: DriverCommand(name: "synthetic", executable: script, arguments: []),
                                  workDirectory: workDirectory, logger: Logger(label: "bench"), record: { log.append($0) })
        _ = try await driver.start()
        let started = MonotonicClock.nowNs()
        while log.count < count { try await Task.sleep(for: .microseconds(200)) }
        let seconds = Double(MonotonicClock.nowNs() - started) / 1e9
        await driver.shutdown()
        return Measurement(lines: count, messages: count, seconds: seconds)
    }

    /// A real driver publishes `count` messages to its own subscription on a real server: from the publish command
    /// to the last message event recorded.
    public static func flood(_ command: DriverCommand, binary: ServerBinary, count: Int, workDirectory: String) async throws -> Measurement {
        guard let port = LoopbackPorts.free(), let monitor = LoopbackPorts.free() else { throw RunError.environment("no free loopback port") }
        let server = ServerProcess(spec: ServerSpec(name: "a", host: "127.0.0.1", port: port, monitorPort: monitor), binary: binary,
                                   workDirectory: workDirectory, logger: Logger(label: "bench"), record: { _ in })
        let log = EventLog()
        let progress = Mutex((messages: 0, lastNs: Int64(0), errors: [String: Int]()))
        let driver = ClientDriver(client: "flood", command: command, workDirectory: workDirectory, logger: Logger(label: "bench"), record: { event in
            log.append(event)
            progress.withLock {
                $0.lastNs = MonotonicClock.nowNs()
                if event.event == .message { $0.messages += event.seqs?.count ?? 1 }
                if let kind = event.error?.kind { $0.errors[kind, default: 0] += 1 }
            }
        })
        do {
            try await server.start()
            _ = try await driver.start()
            _ = try await driver.send(.connect(servers: [server.spec.url], name: "natsfault-bench", options: ConnectOptions()))
            _ = try await driver.send(.subscribe(subject: "bench.flood", sub: "s", queue: nil))
            let before = log.count
            let started = MonotonicClock.nowNs()
            _ = try await driver.send(.publish(subject: "bench.flood", stream: "p", count: count, ratePerSecond: nil, payloadBytes: 16), timeout: .seconds(120))
            // Until every message is in, or nothing has come for 2 s (a library may drop what its subscriber cannot take).
            while true {
                let now = progress.withLock { $0 }
                if now.messages >= count || MonotonicClock.nowNs() - max(now.lastNs, started) > 2_000_000_000 { break }
                try await Task.sleep(for: .microseconds(200))
            }
            let end = progress.withLock { $0 }
            let lines = log.count - before
            await driver.shutdown()
            await server.shutdown()
            return Measurement(lines: lines, messages: end.messages, seconds: Double(end.lastNs - started) / 1e9, errors: end.errors)
        } catch {
            await driver.shutdown()
            await server.shutdown()
            throw error
        }
    }
}

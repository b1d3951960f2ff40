import ArgumentParser
import Foundation
import NATSFaultScenario
import NATSFaultTimeline

/// Times the `jetstream` assertion's checker over a run of N published messages built in memory, and measures the
/// checker's own memory apart from the events', for scripts/bench; prints one JSON line.
///
/// The events: a `js_ack` per message (publisher stream "p", JetStream stream "S", seq i, stream seq i), a
/// `js_message` per message at client "con", sub "w" (delivered 1; every 1000th message delivered a second time,
/// delivered 2, as an extra event), a `js_stream_state` for each of 3 servers and the consumer's `js_consumer_state`.
///
/// Memory is the process's resident set from /proc/self/status: VmRSS before and after building the events (their
/// size), then the peak (VmHWM) while checking. The peak is reset to the current resident set before the first
/// check (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), so the checker's increment is its own peak above the
/// events, not hidden below a peak the building left; where the reset is refused, the increment is the peak after
/// checking minus the peak after building, which can only under-count, and `hwm_reset` says so.
struct JetStreamCheckBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_jetstream-check-bench", shouldDisplay: false)

    @Option(help: "Published messages.") var count = 1_000_000
    @Option(help: "Timed checks (the best is reported).") var rounds = 3

    func run() throws {
        let before = Memory.read()
        let events = Self.events(count: count)
        let built = Memory.read()
        let reset = Memory.resetPeak()
        let atReset = Memory.read()

        let assertion = Assertion.jetstream(JetStreamAccounting(
            stream: "p", jsStream: "S", consumerClient: "con", consumerSub: "w",
            ackedLost: 0, maxDuplicates: count / 1000, orderStream: true, replicasAgree: true))
        var times: [Double] = []
        var passed = false
        var observed = ""
        var afterFirst = atReset
        for round in 0..<max(1, rounds) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let check = assertion.check(events)
            let t1 = DispatchTime.now().uptimeNanoseconds
            times.append(Double(t1 - t0) / 1e9)
            if round == 0 {
                afterFirst = Memory.read()
                passed = check.passed
                observed = check.observed
            }
        }
        let after = Memory.read()
        let checkerPeakKiB = reset ? afterFirst.hwmKiB - atReset.rssKiB : max(0, afterFirst.hwmKiB - built.hwmKiB)
        let result: [String: Any] = [
            "count": count,
            "events": events.count,
            "event_stride_bytes": MemoryLayout<RecordedEvent>.stride,
            "events_array_bytes": events.count * MemoryLayout<RecordedEvent>.stride,
            "seconds": times,
            "best_seconds": times.min() ?? 0,
            "rss_before_kib": before.rssKiB,
            "hwm_before_kib": before.hwmKiB,
            "rss_built_kib": built.rssKiB,
            "hwm_built_kib": built.hwmKiB,
            "events_kib": built.rssKiB - before.rssKiB,
            "hwm_reset": reset,
            "rss_at_reset_kib": atReset.rssKiB,
            "hwm_after_check_kib": afterFirst.hwmKiB,
            "rss_after_check_kib": afterFirst.rssKiB,
            "hwm_after_all_kib": after.hwmKiB,
            "checker_peak_kib": checkerPeakKiB,
            "passed": passed,
            "observed": observed,
        ]
        printLine(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
        withExtendedLifetime(events) {}
    }

    static func events(count: Int) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        // Exactly what is appended: no spare capacity, and no doubling that would leave a peak above the events.
        events.reserveCapacity(2 * count + count / 1000 + 4)
        var clock: Int64 = 1_000_000_000
        for i in 1...max(1, count) {
            clock += 1000
            var ack = RecordedEvent(monoNs: clock, client: "pub", event: .jsAck)
            ack.stream = "p"
            ack.jsStream = "S"
            ack.seq = i
            ack.jsSeq = i
            events.append(ack)
            clock += 1000
            var message = RecordedEvent(monoNs: clock, client: "con", event: .jsMessage)
            message.sub = "w"
            message.stream = "p"
            message.jsStream = "S"
            message.seq = i
            message.jsSeq = i
            message.consumerSeq = i
            message.delivered = 1
            events.append(message)
            if i % 1000 == 0 {
                clock += 1000
                message.monoNs = clock
                message.delivered = 2
                message.consumerSeq = i + i / 1000
                events.append(message)
            }
        }
        for server in ["a", "b", "c"] {
            clock += 1000
            var state = RecordedEvent(monoNs: clock, server: server, event: .jsStreamState)
            state.jsStream = "S"
            state.messages = count
            state.from = 1
            state.to = count
            state.latencyNs = 5_000_000
            events.append(state)
        }
        clock += 1000
        var consumer = RecordedEvent(monoNs: clock, client: "con", event: .jsConsumerState)
        consumer.sub = "w"
        consumer.jsStream = "S"
        consumer.jsSeq = count
        events.append(consumer)
        return events
    }
}

/// The process's resident set, now and at its peak, from /proc/self/status (KiB).
private enum Memory {
    struct Reading { var rssKiB: Int; var hwmKiB: Int }

    static func read() -> Reading {
        var reading = Reading(rssKiB: 0, hwmKiB: 0)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return reading }
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
            if fields[0] == "VmRSS:" { reading.rssKiB = kib }
            if fields[0] == "VmHWM:" { reading.hwmKiB = kib }
        }
        return reading
    }

    /// Sets the peak (VmHWM) back to the current resident set; false where the kernel refuses.
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }
}

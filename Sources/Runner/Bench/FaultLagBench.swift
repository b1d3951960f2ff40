import Foundation
import Synchronization
import NATSFaultDrivers
import NATSFaultFirewall
import NATSFaultProcess
import NATSFaultProxy
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
#if canImport(Glibc)
import Glibc
#endif

/// How late faults take effect, for scripts/bench: from the moment a step is due (the timeline sleeps until then,
/// as the player does) to the moment the fault acts, for `rounds` applications of each fault.
public enum FaultLagBench {
    /// Lags in nanoseconds, by fault: `reset` until the client reads the RST; `blackhole` and `drop_pongs` until the
    /// proxy's link has the fault on its connection (the step's own completion); `signal` until the kernel shows
    /// every thread of the nats-server stopped (SIGSTOP, /proc), as a pause step waits for.
    public static func measure(rounds: Int, serverBinary: String) async throws -> [String: [Int64]] {
        let serverPort = try freePort(), linkPort = try freePort()
        let server = try await ChildProcess.start(serverBinary, arguments: ["-a", "127.0.0.1", "-p", "\(serverPort)"])
        defer { server.signal(SIGKILL) }
        try await waitUntilGreets(port: serverPort)
        let proxy = FaultProxy(record: { _ in })
        let link = LinkID(client: "app", server: "a")
        try await proxy.addLink(link, listenHost: "127.0.0.1", listenPort: linkPort, upstreamHost: "127.0.0.1", upstreamPort: serverPort,
                                filtersClientOperations: true)
        defer { Task { await proxy.shutdown() } }
        let faults = try linkFaults(["reset", "blackhole", "drop_pongs"])
        var lags: [String: [Int64]] = [:]
        let floor = Floor()
        for round in 0..<rounds {
            let client = try connectThroughLink(port: linkPort)
            let due = try await sleepUntilDue(floor)
            try await proxy.apply(faults["reset"]!, faultID: round, client: nil, server: nil)
            lags["reset", default: []].append(readResetNs(client) - due)
            close(client)
        }
        let held = try connectThroughLink(port: linkPort)
        defer { close(held) }
        for name in ["blackhole", "drop_pongs"] {
            for round in 0..<rounds {
                let due = try await sleepUntilDue(floor)
                try await proxy.apply(faults[name]!, faultID: round, client: nil, server: nil)
                lags[name, default: []].append(MonotonicClock.nowNs() - due)
                try await proxy.heal(faultID: round)
            }
        }
        for _ in 0..<rounds {
            let due = try await sleepUntilDue(floor)
            // As a pause step does: SIGSTOP, then until /proc shows every thread stopped.
            guard await server.stop() else { throw FaultLagError(what: "nats-server did not stop within 1 s of SIGSTOP") }
            lags["signal", default: []].append(MonotonicClock.nowNs() - due)
            server.signal(SIGCONT)
            while ChildProcess.allThreadsStopped(server.pid) {}
        }
        (lags["timer"], lags["wake"]) = floor.samples.withLock { $0 }
        lags["handoff"] = try handoffLatency(rounds: rounds)
        return lags
    }

    /// The machine's floor, without natsfault: how late a thread wakes from a 2 ms sleep (clock_nanosleep to an
    /// absolute deadline). Every fault's lag holds at least one such wakeup, the timeline's own. It blocks the
    /// calling thread.
    static func timerLateness(rounds: Int) -> [Int64] {
        (0..<rounds).map { _ in
            let due = MonotonicClock.nowNs() + 2_000_000
            var deadline = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
            return MonotonicClock.nowNs() - due
        }
    }

    /// The machine's floor, without natsfault: from a write to a pipe until the thread blocked reading it returns,
    /// after 2 ms idle each time. A fault that another thread carries out (the proxy's event loop, the client that
    /// reads the RST) holds one such wakeup per thread.
    static func handoffLatency(rounds: Int) throws -> [Int64] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw FaultLagError(what: "pipe: \(String(cString: strerror(errno)))") }
        defer { close(fds[0]); close(fds[1]) }
        let (reader, writer) = (fds[0], fds[1])
        let woken = Mutex<[Int64]>([])
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var byte: UInt8 = 0
            for _ in 0..<rounds {
                guard read(reader, &byte, 1) == 1 else { break }
                let now = MonotonicClock.nowNs()
                woken.withLock { $0.append(now) }
            }
            done.signal()
        }
        var sent: [Int64] = []
        for _ in 0..<rounds {
            var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&pause, nil)
            var byte: UInt8 = 1
            sent.append(MonotonicClock.nowNs())
            _ = write(writer, &byte, 1)
        }
        done.wait()
        return zip(woken.withLock { $0 }, sent).map { $0 - $1 }
    }

    /// Lags of a firewall step in nanoseconds: from the moment it is due until libiptc has committed its DROP rule,
    /// which acts on the next packet; in the current network namespace, which must be a fresh one.
    public static func firewallLags(rounds: Int) async throws -> [Int64] {
        let rule = FirewallCheck.samples[0]
        var lags: [Int64] = []
        let floor = Floor()
        for _ in 0..<rounds {
            let due = try await sleepUntilDue(floor)
            try Firewall.add([rule])
            lags.append(MonotonicClock.nowNs() - due)
            try Firewall.remove([rule])
        }
        return lags
    }

    /// The faults named, as a scenario's `proxy:` steps declare them.
    private static func linkFaults(_ names: [String]) throws -> [String: any LinkFault] {
        let text = """
        servers: [{name: a}]
        clients: [{name: app}]
        timeline:
        \(names.map { "  - proxy: {fault: \($0)}" }.joined(separator: "\n"))
          - expect: {client: app, event: connected, within: 1s}
        """
        let scenario = try ScenarioParser.parse(text, file: "fault-lag.yaml", shippedDrivers: DriverCatalog.shipped.map(\.name))
        var faults: [String: any LinkFault] = [:]
        for (name, step) in zip(names, scenario.steps) {
            if case .fault(let fault) = step.action, let linkFault = fault.base as? any LinkFault { faults[name] = linkFault }
        }
        return faults
    }

    /// The machine's floor, sampled before every application of every fault, so that a noisy stretch of the
    /// machine shows in it as it does in the lags. `timer`: a plain 2 ms sleep (clock_nanosleep); `wake`: the
    /// Task.sleep before each application, the first part of every lag.
    private final class Floor: Sendable {
        let samples = Mutex<(timer: [Int64], wake: [Int64])>(([], []))
    }

    /// Sleeps until a moment 2 ms ahead, as the timeline sleeps until a step is due; returns that moment.
    /// First takes one sample of the machine's floor (a plain 2 ms sleep); records how late the task woke.
    private static func sleepUntilDue(_ floor: Floor) async throws -> Int64 {
        let timer = timerLateness(rounds: 1)
        let due = MonotonicClock.nowNs() + 2_000_000
        try await Task.sleep(for: .nanoseconds(due - MonotonicClock.nowNs()))
        let woke = MonotonicClock.nowNs() - due
        floor.samples.withLock { $0.timer += timer; $0.wake.append(woke) }
        return due
    }

    /// A client connection that has read the server's INFO (through the link, on the link's port).
    private static func connectThroughLink(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard connected == 0, recv(fd, &buffer, buffer.count, 0) > 0 else {
            close(fd)
            throw FaultLagError(what: "no INFO through the proxy link on port \(port)")
        }
        return fd
    }

    private static func waitUntilGreets(port: Int) async throws {
        for _ in 0..<500 {
            if let fd = try? connectThroughLink(port: port) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw FaultLagError(what: "nats-server did not greet on port \(port) within 5 s")
    }

    /// Blocks until the connection ends; returns when the client saw its end (after the RST, an upper bound).
    private static func readResetNs(_ fd: Int32) -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(fd, &buffer, buffer.count, 0) > 0 {}
        return MonotonicClock.nowNs()
    }

    private static func freePort() throws -> Int {
        guard let port = LoopbackPorts.free() else { throw FaultLagError(what: "no free port on 127.0.0.1") }
        return port
    }
}

struct FaultLagError: Error, CustomStringConvertible {
    var what: String
    var description: String { "fault-lag bench: \(what)" }
}

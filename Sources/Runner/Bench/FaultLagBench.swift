import Foundation
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
        for round in 0..<rounds {
            let client = try connectThroughLink(port: linkPort)
            let due = try await sleepUntilDue()
            try await proxy.apply(faults["reset"]!, faultID: round, client: nil, server: nil)
            lags["reset", default: []].append(readResetNs(client) - due)
            close(client)
        }
        let held = try connectThroughLink(port: linkPort)
        defer { close(held) }
        for name in ["blackhole", "drop_pongs"] {
            for round in 0..<rounds {
                let due = try await sleepUntilDue()
                try await proxy.apply(faults[name]!, faultID: round, client: nil, server: nil)
                lags[name, default: []].append(MonotonicClock.nowNs() - due)
                try await proxy.heal(faultID: round)
            }
        }
        for _ in 0..<rounds {
            let due = try await sleepUntilDue()
            // As a pause step does: SIGSTOP, then until /proc shows every thread stopped.
            guard await server.stop() else { throw FaultLagError(what: "nats-server did not stop within 1 s of SIGSTOP") }
            lags["signal", default: []].append(MonotonicClock.nowNs() - due)
            server.signal(SIGCONT)
            while ChildProcess.allThreadsStopped(server.pid) {}
        }
        return lags
    }

    /// Lags of a firewall step in nanoseconds: from the moment it is due until libiptc has committed its DROP rule,
    /// which acts on the next packet; in the current network namespace, which must be a fresh one.
    public static func firewallLags(rounds: Int) async throws -> [Int64] {
        let rule = FirewallCheck.samples[0]
        var lags: [Int64] = []
        for _ in 0..<rounds {
            let due = try await sleepUntilDue()
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

    /// Sleeps until a moment 2 ms ahead, as the timeline sleeps until a step is due; returns that moment.
    private static func sleepUntilDue() async throws -> Int64 {
        let due = MonotonicClock.nowNs() + 2_000_000
        try await Task.sleep(for: .nanoseconds(due - MonotonicClock.nowNs()))
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

import Foundation
import NATSFaultProxy
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The proxy on real loopback sockets: what TCP itself shows of half-close, refuse and reset.
struct FaultProxySocketTests {
    /// A listening socket on 127.0.0.1 with a kernel-chosen port.
    final class Listener {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: 0)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            try #require(bound == 0 && listen(fd, 16) == 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        func accept() -> Int32 {
            let accepted = Glibc.accept(fd, nil, nil)
            var timeout = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(accepted, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            return accepted
        }
        deinit { close(fd) }
    }

    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let ok = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if ok != 0 { close(fd); return -1 }
        return fd
    }

    static func freePort() throws -> Int { try Listener().port }

    static func receive(_ fd: Int32) -> (String, Int32) {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n >= 0 ? (String(decoding: buffer[0..<n], as: UTF8.self), 0) : ("", errno)
    }

    /// A client connection through the proxy and the server's end of it, with one byte relayed to
    /// prove the relay is set up (a fault applied earlier could find no connection to act on).
    static func relayed(port: Int, upstream: Listener) throws -> (client: Int32, server: Int32) {
        let client = connect(port: port)
        try #require(client >= 0)
        let server = upstream.accept()
        _ = send(client, "x", 1, 0)
        try #require(receive(server).0 == "x", "the relay is established")
        return (client, server)
    }

    func withProxy(_ body: (FaultProxy, _ proxyPort: Int, _ upstream: Listener) async throws -> Void) async throws {
        let upstream = try Listener()
        let port = try Self.freePort()
        let proxy = FaultProxy(record: { _ in })
        try await proxy.addLink(LinkID(client: "c", server: "s"), listenHost: "127.0.0.1", listenPort: port, upstreamHost: "127.0.0.1", upstreamPort: upstream.port)
        do { try await body(proxy, port, upstream) } catch { await proxy.shutdown(); throw error }
        await proxy.shutdown()
    }

    @Test func halfCloseReachesTheOtherSideAndRepliesStillFlow() async throws {
        try await withProxy { _, port, upstream in
            let (client, server) = try Self.relayed(port: port, upstream: upstream)
            defer { close(client); close(server) }
            _ = send(client, "hello", 5, 0)
            shutdown(client, Int32(SHUT_WR))
            #expect(Self.receive(server).0 == "hello")
            #expect(Self.receive(server).0 == "", "the client's FIN must reach the server as end-of-file")
            _ = send(server, "bye", 3, 0)
            #expect(Self.receive(client).0 == "bye", "the other direction stays open after a half-close")
        }
    }

    @Test func refuseClosesTheListenerAndHealReopensIt() async throws {
        try await withProxy { proxy, port, upstream in
            let (before, server) = try Self.relayed(port: port, upstream: upstream)
            try await proxy.apply(F.refuse, faultID: 1, client: nil, server: nil)
            #expect(Self.connect(port: port) == -1 && errno == ECONNREFUSED)
            _ = send(before, "still", 5, 0)
            #expect(Self.receive(server).0 == "still", "connections made before the refuse keep working")
            try await proxy.heal(faultID: 1)
            let after = Self.connect(port: port)
            #expect(after >= 0)
            close(after); close(before); close(server)
        }
    }

    @Test func resetAbortsBothSidesWithRST() async throws {
        try await withProxy { proxy, port, upstream in
            let (client, server) = try Self.relayed(port: port, upstream: upstream)
            try await proxy.apply(F.reset, faultID: 1, client: "c", server: nil)
            #expect(Self.receive(client).1 == ECONNRESET)
            #expect(Self.receive(server).1 == ECONNRESET)
            close(client); close(server)
        }
    }

    @Test func closeEndsBothSidesWithFIN() async throws {
        try await withProxy { proxy, port, upstream in
            let (client, server) = try Self.relayed(port: port, upstream: upstream)
            try await proxy.apply(F.close, faultID: 1, client: nil, server: "s")
            #expect(Self.receive(client) == ("", 0))
            #expect(Self.receive(server) == ("", 0))
            close(client); close(server)
        }
    }

    @Test func aDownServerRefusesThroughItsLink() async throws {
        try await withProxy { proxy, port, _ in
            try await proxy.setServer("s", running: false)
            #expect(Self.connect(port: port) == -1 && errno == ECONNREFUSED)
            try await proxy.setServer("s", running: true)
            let fd = Self.connect(port: port)
            #expect(fd >= 0)
            close(fd)
        }
    }
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    return address
}

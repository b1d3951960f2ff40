import NATSFaultProcess
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection to a server's port on loopback, with read and write timeouts.
enum LoopbackSocket {
    /// Connects to `host:port`; returns the descriptor (the caller closes it).
    ///
    /// - Throws: `SystemCallError` of `socket` or `connect`.
    static func connect(host: String, port: Int, timeout: Duration) throws(SystemCallError) -> Int32 {
        let fd = try Syscall.call("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        do {
            try Syscall.call("connect", retryingInterrupts: false) {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}

extension LoopbackSocket {
    /// A TCP port on `host` that nothing listens on right now (the kernel's pick), or nil if none can be had.
    static func freePort(host: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, host, &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}

/// Free ports on loopback, for servers that cannot have fixed ones.
public enum LoopbackPorts {
    /// A port on `host` that nothing listens on right now.
    public static func free(host: String = "127.0.0.1") -> Int? { LoopbackSocket.freePort(host: host) }
}

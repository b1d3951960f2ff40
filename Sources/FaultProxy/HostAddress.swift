#if canImport(Glibc)
import Glibc
#endif

/// Host names given for the proxy to listen on or relay to (`localhost:4998`), as the numeric addresses it binds and connects to.
public enum HostAddress {
    /// `host` as a numeric address: itself when it is one, else the first IPv4 address the system's resolver
    /// (`/etc/hosts`, DNS) gives for it, or its first IPv6 address when it has no IPv4 one.
    ///
    /// - Throws: `HostAddressError` with the resolver's words when the name does not resolve.
    public static func resolve(_ host: String) throws(HostAddressError) -> String {
        var reason = ""
        for family in [AF_INET, AF_INET6] {
            var hints = addrinfo()
            hints.ai_family = family
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let code = getaddrinfo(host, nil, &hints, &list)
            defer { if let list { freeaddrinfo(list) } }
            guard code == 0, let first = list, let address = numeric(first.pointee) else {
                if reason.isEmpty, code != 0 { reason = String(cString: gai_strerror(code)) }
                continue
            }
            return address
        }
        throw HostAddressError(host: host, reason: reason.isEmpty ? "it has no address" : reason)
    }

    /// The address of one resolver answer, as text.
    private static func numeric(_ info: addrinfo) -> String? {
        guard let address = info.ai_addr else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written: UnsafePointer<CChar>? = switch info.ai_family {
        case AF_INET: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
            withUnsafePointer(to: inet.pointee.sin_addr) { inet_ntop(AF_INET, $0, &text, socklen_t(text.count)) }
        }
        case AF_INET6: address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
            withUnsafePointer(to: inet6.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, &text, socklen_t(text.count)) }
        }
        default: nil
        }
        return written.map { _ in String(cString: text) }
    }
}

/// A host name that does not resolve: the name and the resolver's words.
public struct HostAddressError: Error, Sendable, CustomStringConvertible {
    public var host: String
    public var reason: String

    public var description: String { "cannot resolve \(host): \(reason)" }
}

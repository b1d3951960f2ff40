import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a nats-server's HTTP monitoring endpoints (`/connz`, `/varz`).
public enum Monitoring {
    /// Why a monitoring request failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// GETs `path` from `host:port` and parses the JSON body.
    ///
    /// Plain HTTP/1.0 over a socket: the monitoring port is on loopback inside the sandbox and
    /// answers small documents, so one blocking exchange (with a 2 s timeout) on a detached task is enough.
    public static func get(host: String, port: Int, path: String) async throws -> [String: Any] {
        let task = Task.detached { () throws -> Data in try exchange(host: host, port: port, path: path) }
        let body = try await task.value
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw Failure(description: "\(path) did not answer with a JSON object")
        }
        return object
    }

    private static func exchange(host: String, port: Int, path: String) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "cannot reach the monitoring port \(host):\(port): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw Failure(description: "cannot send to the monitoring port: \(String(cString: strerror(errno)))")
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw Failure(description: "reading the monitoring port: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { throw Failure(description: "malformed HTTP response from \(path)") }
        let status = String(decoding: response[..<split.lowerBound], as: UTF8.self).split(separator: " ").dropFirst().first ?? ""
        guard status == "200" else { throw Failure(description: "\(path) answered HTTP \(status)") }
        return response[split.upperBound...]
    }
}

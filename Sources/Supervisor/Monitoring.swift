import Foundation
public import NATSFaultProcess
#if canImport(Glibc)
import Glibc
#endif

/// Reads a nats-server's HTTP monitoring endpoints (`/connz`, `/varz`).
public enum Monitoring {
    /// Why a monitoring request failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The failed C call behind it, if any.
        public var cause: SystemCallError?

        init(description: String, cause: SystemCallError? = nil) {
            self.description = description
            self.cause = cause
        }
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
        let fd: Int32
        do {
            fd = try LoopbackSocket.connect(host: host, port: port, timeout: .seconds(2))
        } catch {
            throw Failure(description: "cannot reach the monitoring port \(host):\(port): \(error.text)", cause: error)
        }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        do {
            let sent = try Syscall.call("send") { send(fd, request, request.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count else { throw Failure(description: "cannot send to the monitoring port: it took \(sent) of \(request.count) bytes") }
        } catch let error as SystemCallError {
            throw Failure(description: "cannot send to the monitoring port: \(error.text)", cause: error)
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try Syscall.call("recv") { recv(fd, &buffer, buffer.count, 0) }
            } catch {
                throw Failure(description: "reading the monitoring port: \(error.text)", cause: error)
            }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { throw Failure(description: "malformed HTTP response from \(path)") }
        let status = String(decoding: response[..<split.lowerBound], as: UTF8.self).split(separator: " ").dropFirst().first ?? ""
        guard status == "200" else { throw Failure(description: "\(path) answered HTTP \(status)") }
        return response[split.upperBound...]
    }
}

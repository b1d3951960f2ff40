import Foundation
import NATSFaultCredentials
public import NATSFaultProcess
import NATSFaultScenario
#if canImport(Glibc)
import Glibc
#endif

/// natsfault's own NATS connection to a server, for probes: requests to any subject, and the ADR-32
/// discovery subjects (`$SRV.PING.<name>`, `$SRV.INFO.<name>`, `$SRV.STATS.<name>`).
///
/// It goes straight to the server (never through the fault proxy) and speaks just enough of the
/// client protocol for request/reply with headers and no-responders. Each probe runs on a thread of
/// its own, because it blocks for up to its timeout and must not hold up the scenario's other tasks.
public enum RequestProbe {
    /// What one request got.
    public enum Outcome: Sendable, Hashable {
        /// The replies (one for an ordinary request; every one within the window for a discovery request).
        case replies([[UInt8]], latencyNs: Int64)
        /// The server said nobody subscribes to the subject (status 503).
        case noResponders(latencyNs: Int64)
        /// No reply within the timeout.
        case timeout(latencyNs: Int64)
    }

    /// Why the probe could not ask at all.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        /// The failed C call behind it, if any.
        public var cause: SystemCallError?

        init(description: String, cause: SystemCallError? = nil) {
            self.description = description
            self.cause = cause
        }
    }

    /// Where and as whom the probe connects.
    public struct Target: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var user: String?
        public var password: String?
        /// In operator mode: a user JWT and the user's NKey seed, which signs the server's nonce.
        public var jwt: (token: String, seed: String)?

        public init(host: String, port: Int, user: String? = nil, password: String? = nil, jwt: (token: String, seed: String)? = nil) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.jwt = jwt
        }

        /// Straight to `server` (never a proxy link), as its first user if it has users, and with `jwt` in operator mode.
        public init(server: ServerSpec, jwt: (token: String, seed: String)? = nil) {
            let user = server.config.users.first
            self.init(host: server.host, port: server.port, user: user?.user, password: user?.password, jwt: jwt)
        }

        public static func == (a: Target, b: Target) -> Bool {
            (a.host, a.port, a.user, a.password, a.jwt?.token, a.jwt?.seed) == (b.host, b.port, b.user, b.password, b.jwt?.token, b.jwt?.seed)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(host)
            hasher.combine(port)
            hasher.combine(user)
            hasher.combine(jwt?.token)
        }
    }

    /// Sends `count` requests to `subject` over one connection, one after the other, `interval` apart.
    ///
    /// - Parameter gather: collect every reply that arrives within `timeout` (for discovery subjects, which every
    ///   instance answers) instead of stopping at the first.
    /// - Returns: one outcome per request, each with its latency (to the first reply, or to the timeout).
    ///   - each: called with each request's number (from 1) and outcome as soon as it is known.
    public static func requests(_ target: Target, subject: String, payload: [UInt8] = [], count: Int = 1, timeout: Duration,
                                interval: Duration = .zero, gather: Bool = false,
                                each: @escaping @Sendable (Int, Outcome) -> Void = { _, _ in }) async throws -> [Outcome] {
        try await onConnection(target) { connection in
            var outcomes: [Outcome] = []
            for index in 0..<count {
                if index > 0, interval > .zero { Thread.sleep(forTimeInterval: interval.seconds) }
                let outcome = try connection.request(subject: subject, payload: payload, timeout: timeout, gather: gather, index: index)
                each(index + 1, outcome)
                outcomes.append(outcome)
            }
            return outcomes
        }
    }

    /// Runs `body` with one blocking connection to `target`, on a thread of its own (it blocks for up to its timeouts
    /// and must not hold up the scenario's other tasks), and closes the connection after it.
    static func onConnection<T: Sendable>(_ target: Target, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let connection = try Connection(target)
                    defer { connection.close() }
                    continuation.resume(returning: try body(connection))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// One blocking connection.
    final class Connection {
        private let fd: Int32
        private var buffer: [UInt8] = []
        private let inbox = "_INBOX.natsfault.\(UInt64.random(in: 0 ... .max))"

        init(_ target: Target) throws {
            do {
                fd = try LoopbackSocket.connect(host: target.host, port: target.port, timeout: .seconds(2))
            } catch {
                throw Failure(description: "cannot reach nats-server at \(target.host):\(target.port): \(error.text)", cause: error)
            }
            do {
                guard let info = try readLine(until: .now + .seconds(2)), info.hasPrefix("INFO ") else {
                    throw Failure(description: "\(target.host):\(target.port) did not greet with INFO")
                }
                var connect: [String: Any] = ["verbose": false, "pedantic": false, "headers": true, "no_responders": true,
                                              "name": "natsfault-probe", "lang": "swift", "version": "1", "protocol": 1]
                if let user = target.user { connect["user"] = user }
                if let password = target.password { connect["pass"] = password }
                if let (token, seed) = target.jwt {
                    let greeting = (try? JSONSerialization.jsonObject(with: Data(info.dropFirst(5).utf8))) as? [String: Any]
                    guard let nonce = greeting?["nonce"] as? String else { throw Failure(description: "\(target.host):\(target.port) sent no nonce to sign; is it in operator mode?") }
                    connect["jwt"] = token
                    connect["sig"] = JWT.base64URL(try NKey(seed: seed).sign(Data(nonce.utf8)))
                }
                let json = String(decoding: try JSONSerialization.data(withJSONObject: connect, options: [.sortedKeys]), as: UTF8.self)
                try write("CONNECT \(json)\r\nSUB \(inbox).* 1\r\nPING\r\n")
                try awaitPong(until: .now + .seconds(2))
            } catch {
                Glibc.close(fd)
                throw error
            }
        }

        func close() { Glibc.close(fd) }

        func request(subject: String, payload: [UInt8], timeout: Duration, gather: Bool, index: Int) throws -> Outcome {
            let reply = "\(inbox).\(index)"
            let started = ContinuousClock.now
            try write("PUB \(subject) \(reply) \(payload.count)\r\n", payload, "\r\n")
            let deadline = started + timeout
            var replies: [[UInt8]] = []
            var firstNs: Int64?
            while let message = try readMessage(until: deadline) {
                guard message.subject == reply else { continue }  // a late reply to an earlier request
                let elapsed = (ContinuousClock.now - started).nanoseconds
                if message.status == 503 { return .noResponders(latencyNs: elapsed) }
                replies.append(message.payload)
                firstNs = firstNs ?? elapsed
                if !gather { break }
            }
            if let firstNs { return .replies(replies, latencyNs: firstNs) }
            return .timeout(latencyNs: (ContinuousClock.now - started).nanoseconds)
        }

        /// One request and its first answer: the status of a header-only answer (404, 503, …; nil for a plain message)
        /// and the payload; nil when nothing came within `timeout`.
        func exchange(subject: String, payload: [UInt8], timeout: Duration, index: Int) throws -> (status: Int?, payload: [UInt8])? {
            let reply = "\(inbox).\(index)"
            try write("PUB \(subject) \(reply) \(payload.count)\r\n", payload, "\r\n")
            let deadline = ContinuousClock.now + timeout
            while let message = try readMessage(until: deadline) {
                if message.subject == reply { return (message.status, message.payload) }
            }
            return nil
        }

        // MARK: protocol

        private struct Message {
            var subject: String
            var status: Int?
            var payload: [UInt8]
        }

        /// The next MSG or HMSG before `deadline` (answering the server's PINGs meanwhile), or nil at the deadline.
        private func readMessage(until deadline: ContinuousClock.Instant) throws -> Message? {
            while let line = try readLine(until: deadline) {
                let words = line.split(separator: " ").map(String.init)
                switch words.first {
                case "PING": try write("PONG\r\n")
                case "MSG" where words.count >= 4:
                    guard let size = Int(words.last!) else { throw Failure(description: "malformed MSG line: \(line)") }
                    let body = try readBytes(size + 2, until: deadline)
                    return Message(subject: words[1], status: nil, payload: Array(body.dropLast(2)))
                case "HMSG" where words.count >= 5:
                    guard let total = Int(words[words.count - 1]), let headerSize = Int(words[words.count - 2]) else {
                        throw Failure(description: "malformed HMSG line: \(line)")
                    }
                    let body = try readBytes(total + 2, until: deadline)
                    let headers = String(decoding: body.prefix(headerSize), as: UTF8.self)
                    // "NATS/1.0 503\r\n…": a status line without headers is how no-responders arrives.
                    let status = headers.split(separator: "\r\n").first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
                    return Message(subject: words[1], status: status, payload: Array(body.dropFirst(headerSize).dropLast(2)))
                case "-ERR": throw Failure(description: "nats-server refused the probe: \(line.dropFirst(5))")
                default: continue  // +OK, PONG, INFO updates
                }
            }
            return nil
        }

        private func awaitPong(until deadline: ContinuousClock.Instant) throws {
            while let line = try readLine(until: deadline) {
                if line == "PONG" { return }
                if line.hasPrefix("-ERR") { throw Failure(description: "nats-server refused the probe's connection: \(line.dropFirst(5))") }
                if line == "PING" { try write("PONG\r\n") }
            }
            throw Failure(description: "no PONG from nats-server within 2 s of connecting")
        }

        private func write(_ parts: Any...) throws {
            var bytes: [UInt8] = []
            for part in parts {
                if let text = part as? String { bytes += Array(text.utf8) } else if let raw = part as? [UInt8] { bytes += raw }
            }
            var sent = 0
            while sent < bytes.count {
                do {
                    sent += try Syscall.call("send") { bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
                } catch {
                    throw Failure(description: "the probe's connection broke: \(error.text)", cause: error)
                }
            }
        }

        private func readLine(until deadline: ContinuousClock.Instant) throws -> String? {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    buffer.removeSubrange(...end)
                    return line
                }
                guard try fill(until: deadline) else { return nil }
            }
        }

        private func readBytes(_ count: Int, until deadline: ContinuousClock.Instant) throws -> [UInt8] {
            while buffer.count < count {
                guard try fill(until: deadline + .seconds(2)) else { throw Failure(description: "the server stopped in the middle of a message") }
            }
            let bytes = Array(buffer.prefix(count))
            buffer.removeFirst(count)
            return bytes
        }

        /// Reads what has arrived, waiting until `deadline`; false when the deadline passed with nothing.
        private func fill(until deadline: ContinuousClock.Instant) throws -> Bool {
            var ready: Int32 = 0
            while ready == 0 {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return false }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                do {
                    // Whole milliseconds, rounded up: a poll that wakes early would end the wait before its deadline.
                    ready = try Syscall.call("poll") { poll(&poller, 1, Int32(min((left.seconds * 1000).rounded(.up), 60_000))) }
                } catch {
                    throw Failure(description: "\(error)", cause: error)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw Failure(description: "nats-server closed the probe's connection") }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

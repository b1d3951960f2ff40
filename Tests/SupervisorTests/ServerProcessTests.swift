import Foundation
import Logging
import NATSFaultScenario
@testable import NATSFaultSupervisor
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real nats-server processes on loopback, started and stopped by `ServerProcess`.
@Suite struct ServerProcessTests {
    /// A start cancelled from the outside (a sibling in the run's start-up group failed, for example a
    /// driver that crashed) must still end, and the server it launched must still be killable: nothing
    /// may be left running or awaited forever.
    @Test func aCancelledStartEndsAndLeavesNothingRunning() async throws {
        let (server, _, work) = try await Self.server()
        defer { try? FileManager.default.removeItem(at: work) }

        let ended = Atomic<Bool>(false)
        let start = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            _ = try? await server.start()
            ended.store(true, ordering: .sequentiallyConsistent)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !ended.load(ordering: .sequentiallyConsistent), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let endedInTime = ended.load(ordering: .sequentiallyConsistent)
        let config = work.appendingPathComponent("a.conf").path
        #expect(endedInTime, "a cancelled start did not end within 20 s")
        guard endedInTime else {
            // The harness lost the server; do not leave it behind.
            for pid in processes(mentioning: config) { kill(pid_t(pid)!, SIGKILL) }
            return
        }
        _ = await start.value

        await server.shutdown()
        #expect(processes(mentioning: config).isEmpty, "a nats-server of this test is still running after shutdown")
    }

    /// A server on free loopback ports (not started), its spec, and its folder (the caller removes it).
    static func server() async throws -> (ServerProcess, ServerSpec, URL) {
        let binary = try #require(await ServerBinary.discover().first, "no nats-server installed; run scripts/setup")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-supervisor-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let spec = ServerSpec(name: "a", host: "127.0.0.1", port: try #require(LoopbackPorts.free()), monitorPort: try #require(LoopbackPorts.free()))
        return (ServerProcess(spec: spec, binary: binary, workDirectory: work.path, logger: Logger(label: "test"), record: { _ in }), spec, work)
    }

    /// The pids of processes whose command line contains `text`.
    private func processes(mentioning text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    /// natsfault's own probe connection against a real server: answered requests (gathering every reply),
    /// no responders (status 503, at once), and a timeout from a subscriber that never answers.
    @Test func requestProbesSeeRepliesNoRespondersAndTimeouts() async throws {
        let (server, spec, work) = try await Self.server()
        defer { try? FileManager.default.removeItem(at: work) }
        try await server.start()
        // Two responders on svc.echo and one silent subscriber on svc.silent, each its own raw connection.
        let responders = try (0..<2).map { _ in try RawResponder(port: spec.port, echo: "svc.echo", silent: "svc.silent") }
        let target = RequestProbe.Target(host: spec.host, port: spec.port)

        let answered = try await RequestProbe.requests(target, subject: "svc.echo", payload: Array("hi".utf8), count: 3, timeout: .seconds(2))
        #expect(answered.count == 3)
        for outcome in answered {
            guard case .replies(let replies, let latency) = outcome else { Issue.record("expected a reply, got \(outcome)"); continue }
            #expect(replies == [Array("hi".utf8)] && latency > 0)
        }
        let gathered = try await RequestProbe.requests(target, subject: "svc.echo", timeout: .milliseconds(300), gather: true)
        guard case .replies(let all, _)? = gathered.first else { Issue.record("expected replies, got \(gathered)"); return }
        #expect(all.count == 2, "every responder answers a gathered request")

        let nobody = try await RequestProbe.requests(target, subject: "svc.nobody", count: 2, timeout: .seconds(2))
        for outcome in nobody {
            guard case .noResponders(let latency) = outcome else { Issue.record("expected no responders, got \(outcome)"); continue }
            #expect(latency < 1_000_000_000, "no responders comes at once, not after the timeout")
        }
        let silent = try await RequestProbe.requests(target, subject: "svc.silent", timeout: .milliseconds(200))
        guard case .timeout(let waited)? = silent.first else { Issue.record("expected a timeout, got \(silent)"); return }
        #expect(waited >= 200_000_000)

        for responder in responders { responder.close() }
        await server.shutdown()
    }
}

/// A minimal NATS responder on a raw socket: echoes requests on one subject, ignores those on another.
private final class RawResponder: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, echo: String, silent: String) throws {
        fd = try LoopbackSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(2))
        send("CONNECT {\"verbose\":false}\r\nSUB \(echo) 1\r\nSUB \(silent) 2\r\nPING\r\n")
        var seen = ""
        while !seen.contains("PONG") { seen += receive() }
        let fd = self.fd
        Thread.detachNewThread { [self] in
            var buffer = ""
            while true {
                let chunk = self.receive()
                if chunk.isEmpty { return }
                buffer += chunk
                // MSG <subject> <sid> <reply> <size>\r\n<payload>\r\n
                while let header = buffer.range(of: "\r\n") {
                    let words = buffer[..<header.lowerBound].split(separator: " ")
                    guard words.first == "MSG", words.count == 5, let size = Int(words[4]) else {
                        buffer.removeSubrange(..<header.upperBound)
                        continue
                    }
                    let body = buffer[header.upperBound...]
                    guard body.utf8.count >= size + 2 else { break }
                    let payload = String(body.utf8.prefix(size))!
                    buffer = String(body.utf8.dropFirst(size + 2))!
                    if words[2] == "1" { self.send("PUB \(words[3]) \(size)\r\n\(payload)\r\n") }
                }
            }
            _ = fd
        }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }

    private func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

    private func receive() -> String {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &chunk, chunk.count, 0)
        return n > 0 ? String(decoding: chunk[0..<n], as: UTF8.self) : ""
    }
}

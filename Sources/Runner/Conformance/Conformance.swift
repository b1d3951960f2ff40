import Foundation
public import Logging
import NATSFaultCredentials
public import NATSFaultDrivers
import NATSFaultProcess
public import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
public import NATSFaultSupervisor
import NATSFaultTimeline
import Synchronization

/// Checks a driver against DRIVER-PROTOCOL v1 with real nats-servers: the handshake, an ack for every op,
/// events on the shared monotonic clock, the error kinds of conditions natsfault can cause for certain
/// (connection refused, no responders, request timeout, closed after max reconnects), and a clean exit
/// when stdin closes or on `exit`; with the capability `jetstream`, the v1.1 ops against a JetStream server
/// (ConformanceJetStream.swift), and without it, that `js_publish` is refused.
///
/// Every driver process runs in turn, each with its own transcript of the lines it wrote; the checks that
/// span all of them (clock, error kinds, output, acks) are judged at the end.
public struct Conformance: Sendable {
    let command: DriverCommand
    let binary: ServerBinary
    let workDirectory: String
    let logger: Logger

    public init(command: DriverCommand, binary: ServerBinary, workDirectory: String, logger: Logger) {
        self.command = command
        self.binary = binary
        self.workDirectory = workDirectory
        self.logger = logger
    }

    /// How long a driver has to answer a command that does not wait on the network.
    static let answerTime: Duration = .seconds(10)

    public func run() async -> ConformanceReport {
        var report = ConformanceReport(driver: command.name, server: binary.version, checks: [])
        var transcripts: [Transcript] = []
        var servers: [ServerProcess] = []
        do {
            let a = try await startServer("a", host: "127.0.0.1")
            servers.append(a)
            let b = try await startServer("b", host: "127.0.0.2")
            servers.append(b)
            let main = try await session("main", transcripts: &transcripts)
            report.library = main.hello.map { "\($0.library) \($0.libraryVersion)" }
            report.checks += main.checks
            if let session = main.session {
                report.checks += await mainChecks(session, server: a)
            }
            report.checks += await refusedAndExit(transcripts: &transcripts)
            report.checks += await closedAfterMaxReconnects(server: b, transcripts: &transcripts)
            report.checks += await credentialsExpire(transcripts: &transcripts, servers: &servers)
            report.checks += await jetStream(transcripts: &transcripts, servers: &servers)
        } catch {
            report.checks.append(ConformanceCheck(name: "setup", verdict: .fail, detail: FileProblem.describe(error)))
        }
        for server in servers { await server.shutdown() }
        report.checks += Self.transcriptChecks(transcripts)
        return report
    }

    // MARK: sessions

    /// One driver process and what it wrote.
    struct Session {
        var driver: ClientDriver
        var transcript: Transcript
        var hello: DriverHello
        var capabilities: Set<String> { Set(hello.capabilities) }

        /// Sends a command and returns its ack, or the reason there was none.
        func call(_ op: DriverOp, timeout: Duration = Conformance.answerTime) async -> Result<DriverAck, DriverError> {
            transcript.commandSent()
            do { return .success(try await driver.send(op, timeout: timeout)) } catch let error as DriverError { return .failure(error) } catch {
                return .failure(.stoppedAnswering(client: driver.client, op: op.name, stderrTail: "\(error)"))
            }
        }
    }

    func startServer(_ name: String, host: String, trust: OperatorTrust? = nil, config: ServerConfig = ServerConfig()) async throws -> ServerProcess {
        guard let port = LoopbackPorts.free(host: host), let monitor = LoopbackPorts.free(host: host) else {
            throw RunError.environment("no free port on \(host)")
        }
        let server = ServerProcess(spec: ServerSpec(name: name, host: host, port: port, monitorPort: monitor, config: config), binary: binary,
                                   workDirectory: workDirectory, trust: trust, logger: logger, record: { _ in })
        try await server.start()
        return server
    }

    /// Starts a driver process and judges its hello (only the first session's hello is reported as a check).
    func session(_ label: String, transcripts: inout [Transcript]) async throws -> (session: Session?, hello: DriverHello?, checks: [ConformanceCheck]) {
        let transcript = Transcript(label: label)
        transcripts.append(transcript)
        let driver = ClientDriver(client: label, command: command, workDirectory: workDirectory, logger: logger, record: { _ in },
                                  observe: { line, ns in transcript.append(line, receivedNs: ns) })
        let started = MonotonicClock.nowNs()
        transcript.spawnedNs = started
        let hello: DriverHello
        do {
            hello = try await driver.start(timeout: Self.answerTime)
        } catch {
            await driver.shutdown()
            return (nil, nil, [ConformanceCheck(name: "handshake", verdict: .fail, detail: "\(error)")])
        }
        let took = Double(MonotonicClock.nowNs() - started) / 1e6
        let problems = Self.helloProblems(transcript.first(where: { $0.event == "hello" }))
        let session = Session(driver: driver, transcript: transcript, hello: hello)
        let detail = "hello after \(String(format: "%.1f", took)) ms: \(hello.library) \(hello.libraryVersion), capabilities \(hello.capabilities.joined(separator: ", "))"
        return (session, hello, [ConformanceCheck(name: "handshake", verdict: problems.isEmpty ? .pass : .fail,
                                                  detail: problems.isEmpty ? detail : problems.joined(separator: "; ") + " (\(detail))")])
    }

    /// The checks on one connected driver: every op, the request error kinds, drain, and exit on end of stdin.
    private func mainChecks(_ s: Session, server: ServerProcess) async -> [ConformanceCheck] {
        var checks: [ConformanceCheck] = []
        func add(_ name: String, _ problems: [String], _ detail: String) {
            checks.append(ConformanceCheck(name: name, verdict: problems.isEmpty ? .pass : .fail, detail: problems.isEmpty ? detail : problems.joined(separator: "; ")))
        }
        let t = s.transcript

        // An op the driver does not know.
        switch await s.call(.raw(op: "natsfault_conformance_no_such_op", fields: [:])) {
        case .success(let ack) where !ack.ok && ack.error?.kind == ErrorKind.other.rawValue:
            add("unknown op", [], "ack ok:false, kind other: \(ack.error?.message ?? "")")
        case .success(let ack): add("unknown op", ["expected ack ok:false with error kind other, got \(Self.describe(ack))"], "")
        case .failure(let error): add("unknown op", ["\(error)"], "")
        }

        // connect
        var mark = t.count
        let connect = await s.call(.connect(servers: [server.spec.url], name: "natsfault-conformance",
                                            options: Self.options(maxReconnects: -1, reconnectWait: .milliseconds(100), connectTimeout: .seconds(2))))
        var connected = false
        switch connect {
        case .success(let ack) where ack.ok:
            if let line = await t.wait(since: mark, timeout: .seconds(5), { $0.event == "connected" }) {
                let url = line.string("url") ?? ""
                connected = true
                add("connect", url.isEmpty ? ["the connected event has no \"url\""] : [], "ack ok, connected \(url)")
            } else {
                add("connect", ["ack ok but no connected event within 5 s"], "")
            }
        case .success(let ack): add("connect", ["connecting to a running server (\(server.spec.url)) was refused: \(Self.describe(ack))"], "")
        case .failure(let error): add("connect", ["\(error)"], "")
        }
        guard connected else {
            for name in ["subscribe + publish", "request + reply", "no responders", "request timeout", "flush + stats", "service", "drain + close", "exit on end of stdin"] {
                checks.append(ConformanceCheck(name: name, verdict: .notRun, detail: "needs a connection"))
            }
            await s.driver.shutdown()
            return checks
        }

        // subscribe + publish: 10 numbered messages, each received and each reported as published.
        mark = t.count
        var problems: [String] = []
        problems += Self.expectOK(await s.call(.subscribe(subject: "conformance.pub", sub: "s", queue: nil)), "subscribe")
        let publishSentNs = MonotonicClock.nowNs()
        problems += Self.expectOK(await s.call(.publish(subject: "conformance.pub", stream: "p", count: 10, ratePerSecond: nil, payloadBytes: 16)), "publish")
        let publishMark = mark
        _ = await t.wait(since: mark, timeout: .seconds(5)) { _ in t.seqs(since: publishMark, event: "message", key: "sub", value: "s").count >= 10 }
        let received = t.seqs(since: mark, event: "message", key: "sub", value: "s")
        let published = t.seqs(since: mark, event: "published", key: "stream", value: "p", ok: true)
        if received.sorted() != Array(1...10) { problems.append("message events on sub s: expected seq 1…10, got \(received)") }
        let unnamed = t.lines(since: mark).filter { $0.event == "message" && $0.string("stream") != "p" }.count
        if unnamed > 0 {
            problems.append("\(unnamed) message events lack \"stream\":\"p\", which receivers read from the payload (\"<seq> <stream>\", docs/driver-protocol.md); without it no message is counted")
        }
        if published.sorted() != Array(1...10) { problems.append("published events of stream p: expected seq 1…10 ok, got \(published)") }
        problems += Self.callTimeProblems(t.lines(since: mark).filter { $0.event == "published" }, sentNs: publishSentNs)
        add("subscribe + publish", problems, "10 messages published and received, seq 1…10, each published event with its call_ns")

        // request + reply, on the same connection.
        mark = t.count
        problems = Self.expectOK(await s.call(.reply(subject: "conformance.svc", queue: nil)), "reply")
        problems += Self.expectOK(await s.call(.request(subject: "conformance.svc", stream: "r", count: 3, timeout: .seconds(2), interval: nil)), "request")
        let results = t.lines(since: mark).filter { $0.event == "request_result" && $0.string("stream") == "r" }
        if results.map({ $0.int("seq") ?? 0 }) != [1, 2, 3] || !results.allSatisfy({ $0.bool("ok") == true }) {
            problems.append("expected request_result seq 1, 2, 3 all ok, got \(results.map(\.raw))")
        }
        if !results.allSatisfy({ ($0.int("latency_ns") ?? 0) > 0 }) { problems.append("every request_result needs latency_ns > 0") }
        add("request + reply", problems, "3 requests answered, latencies \(results.map { String(format: "%.2f", Double($0.int("latency_ns") ?? 0) / 1e6) }.joined(separator: ", ")) ms")

        // no responders: fails fast, far below its timeout.
        checks.append(await failedRequest(s, name: "no responders", stream: "no_responders", subject: "conformance.nobody", timeoutMs: 3000, kind: .noResponders,
                                          latency: { $0 < 1_000_000_000 ? nil : "took \($0 / 1_000_000) ms; a request nobody can answer must fail far below its 3000 ms timeout" }))
        // timeout: someone subscribes but never answers.
        _ = await s.call(.subscribe(subject: "conformance.silent", sub: "silent", queue: nil))
        checks.append(await failedRequest(s, name: "request timeout", stream: "timeout", subject: "conformance.silent", timeoutMs: 300, kind: .timeout,
                                          latency: { $0 >= 250_000_000 ? nil : "failed after \($0 / 1_000_000) ms, before its 300 ms timeout" }))

        // flush + stats
        mark = t.count
        problems = Self.expectOK(await s.call(.flush(timeout: .seconds(2))), "flush")
        problems += Self.expectOK(await s.call(.stats), "stats")
        var statsDetail = ""
        if let stats = await t.wait(since: mark, timeout: .seconds(2), { $0.event == "stats" }) {
            let missing = ["in_msgs", "out_msgs", "reconnects"].filter { stats.int($0) == nil }
            if !missing.isEmpty { problems.append("the stats event lacks integer \(missing.joined(separator: ", "))") }
            statsDetail = "in_msgs \(stats.int("in_msgs") ?? -1), out_msgs \(stats.int("out_msgs") ?? -1), reconnects \(stats.int("reconnects") ?? -1)"
        } else {
            problems.append("no stats event within 2 s of the stats command")
        }
        add("flush + stats", problems, "flush acked; stats: \(statsDetail)")

        // service: honest either way.
        if s.capabilities.contains("service") {
            mark = t.count
            problems = Self.expectOK(await s.call(.service(name: "conformance", version: "1.0.0",
                                                                      endpoints: [ServiceEndpoint(name: "echo", subject: "conformance.echo", queue: nil)])), "service")
            problems += Self.expectOK(await s.call(.request(subject: "$SRV.PING.conformance", stream: "ping", count: 1, timeout: .seconds(2), interval: nil)), "request $SRV.PING.conformance")
            add("service", problems, "capability listed: the service answers $SRV.PING.conformance")
        } else {
            switch await s.call(.service(name: "conformance", version: "1.0.0", endpoints: [])) {
            case .success(let ack) where !ack.ok: add("service", [], "capability not listed, and the op is refused: \(ack.error?.kind ?? "?")")
            case .success: add("service", ["the hello does not list \"service\", yet the service op was acked ok: list the capability, or refuse the op"], "")
            case .failure(let error): add("service", ["\(error)"], "")
            }
        }

        // drain, then close on the closed connection: both answered.
        mark = t.count
        problems = Self.expectOK(await s.call(.drain), "drain")
        if await t.wait(since: mark, timeout: .seconds(5), { $0.event == "closed" }) == nil { problems.append("no closed event within 5 s of drain") }
        switch await s.call(.close) {
        case .success: break
        case .failure(let error): problems.append("close after drain: \(error)")
        }
        add("drain + close", problems, "drain acked, closed event, close answered")

        // End of stdin: the driver exits by itself, with status 0.
        let end = await s.driver.shutdown(grace: .seconds(5))
        add("exit on end of stdin", end.killed ? ["still running 5 s after its stdin closed; natsfault killed it"]
                                            : (end.status == "exited(0)" ? [] : ["ended with \(end.status ?? "unknown status"), not exited(0)"]),
            "exited(0) after its stdin closed")
        return checks
    }

    /// Connect options of the checks: reconnects, their wait and the connect timeout.
    static func options(maxReconnects: Int, reconnectWait: Duration? = nil, connectTimeout: Duration) -> ConnectOptions {
        var options = ConnectOptions()
        options.maxReconnects = maxReconnects
        options.reconnectWait = reconnectWait
        options.connectTimeout = connectTimeout
        return options
    }

    /// A request that must fail with `kind`.
    private func failedRequest(_ s: Session, name: String, stream: String, subject: String, timeoutMs: Int, kind: ErrorKind,
                               latency: (Int) -> String?) async -> ConformanceCheck {
        let t = s.transcript, mark = t.count
        var problems: [String] = []
        if case .failure(let error) = await s.call(.request(subject: subject, stream: stream, count: 1, timeout: .milliseconds(timeoutMs), interval: nil)) {
            problems.append("\(error)")
        }
        guard let result = await t.wait(since: mark, timeout: .seconds(5), { $0.event == "request_result" && $0.string("stream") == stream }) else {
            return ConformanceCheck(name: name, verdict: .fail, detail: (problems + ["no request_result event"]).joined(separator: "; "))
        }
        if result.bool("ok") != false { problems.append("expected request_result ok:false, got \(result.raw)") }
        if result.errorKind != kind.rawValue { problems.append("expected error kind \(kind.rawValue), got \(result.errorKind ?? "none") (\(result.raw))") }
        let took = result.int("latency_ns")
        if let took, let wrong = latency(took) { problems.append(wrong) }
        let detail = "request_result ok:false \(kind.rawValue) after \(took.map { String(format: "%.1f", Double($0) / 1e6) } ?? "?") ms: \(result.errorMessage ?? "")"
        return ConformanceCheck(name: name, verdict: problems.isEmpty ? .pass : .fail, detail: problems.isEmpty ? detail : problems.joined(separator: "; "))
    }

    /// Connecting where nothing listens fails with connection_refused (or no_servers, for libraries that cannot
    /// tell); then the `exit` op ends the driver.
    private func refusedAndExit(transcripts: inout [Transcript]) async -> [ConformanceCheck] {
        guard let opened = try? await session("refused", transcripts: &transcripts), let s = opened.session else {
            return [ConformanceCheck(name: "connection refused", verdict: .notRun, detail: "the driver did not start a second time"),
                    ConformanceCheck(name: "exit op", verdict: .notRun, detail: "the driver did not start a second time")]
        }
        var checks: [ConformanceCheck] = []
        let port = LoopbackPorts.free() ?? 1
        let started = MonotonicClock.nowNs()
        var refusedOptions = Self.options(maxReconnects: 0, connectTimeout: .seconds(2))
        refusedOptions.allowReconnect = false
        let result = await s.call(.connect(servers: ["nats://127.0.0.1:\(port)"], name: "natsfault-conformance-refused", options: refusedOptions),
                                  timeout: .seconds(15))
        let took = Double(MonotonicClock.nowNs() - started) / 1e6
        switch result {
        case .success(let ack) where !ack.ok && [ErrorKind.connectionRefused.rawValue, ErrorKind.noServers.rawValue].contains(ack.error?.kind ?? ""):
            checks.append(ConformanceCheck(name: "connection refused", verdict: .pass,
                                           detail: "ack ok:false \(ack.error?.kind ?? "") after \(String(format: "%.1f", took)) ms: \(ack.error?.message ?? "")"))
        case .success(let ack):
            checks.append(ConformanceCheck(name: "connection refused", verdict: .fail,
                                           detail: "expected ack ok:false with kind connection_refused (or no_servers), got \(Self.describe(ack))"))
        case .failure(let error):
            checks.append(ConformanceCheck(name: "connection refused", verdict: .fail, detail: "\(error)"))
        }

        let acked: Bool
        if case .success = await s.call(.exit, timeout: .seconds(5)) { acked = true } else { acked = false }
        if let end = await s.driver.waitForEnd(timeout: .seconds(5)) {
            var problems: [String] = []
            if !acked { problems.append("exited without acking the exit command (every command gets an ack)") }
            if end.status != "exited(0)" { problems.append("ended with \(end.status ?? "unknown status"), not exited(0)") }
            checks.append(ConformanceCheck(name: "exit op", verdict: problems.isEmpty ? .pass : .fail,
                                           detail: problems.isEmpty ? "acked, then exited(0)" : problems.joined(separator: "; ")))
        } else {
            checks.append(ConformanceCheck(name: "exit op", verdict: .fail, detail: "still running 5 s after the exit command; natsfault killed it"))
        }
        await s.driver.shutdown()
        return checks
    }

    /// A connection allowed 2 reconnects to a server that is killed: disconnected, then closed.
    /// With the capability `credentials`: a connect with `credentials_file` to a server in operator mode, whose JWT
    /// expires 2–3 s later (JWTs expire on whole seconds); the server then sends `-ERR 'User Authentication Expired'`
    /// and closes the connection, and the driver must report `authentication_expired` on an `error`, `disconnected`
    /// or `closed` event. Without the capability, such a connect must be refused.
    private func credentialsExpire(transcripts: inout [Transcript], servers: inout [ServerProcess]) async -> [ConformanceCheck] {
        let name = "credentials expire"
        guard let opened = try? await session("credentials", transcripts: &transcripts), let s = opened.session else {
            return [ConformanceCheck(name: name, verdict: .notRun, detail: "the driver did not start a fourth time")]
        }
        defer { Task { await s.driver.shutdown() } }
        let file = JWTUser.credsFile(of: "conformance", in: workDirectory)
        // One reconnect, 2 s later: nats.c reports the expiry with the same status as any refused authorization,
        // and its text only through the connection's last error, which an immediate close (no reconnect) overwrites
        // before the error callback runs.
        var options = Self.options(maxReconnects: 1, reconnectWait: .seconds(2), connectTimeout: .seconds(2))
        options.credentialsFile = file
        let server: ServerProcess
        let expiresAt: Int64
        do {
            let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "conformance", users: [JWTUser(name: "conformance", expiry: nil)])])
            server = try await startServer("c", host: "127.0.0.3", trust: authority.trust)
            servers.append(server)
            // Written once the server is up, so that a slow start cannot let the JWT expire before the connect.
            expiresAt = Int64(Date().timeIntervalSince1970) + 3
            try authority.writeCredentials(for: "conformance", expiresAt: expiresAt, to: file)
        } catch {
            return [ConformanceCheck(name: name, verdict: .fail, detail: "setup: \(FileProblem.describe(error))")]
        }
        let connect = await s.call(.connect(servers: [server.spec.url], name: "natsfault-conformance-credentials", options: options))
        guard s.capabilities.contains("credentials") else {
            switch connect {
            case .success(let ack) where !ack.ok:
                return [ConformanceCheck(name: name, verdict: .pass, detail: "capability not listed, and a connect with credentials_file is refused: \(ack.error?.kind ?? "?")")]
            case .success:
                return [ConformanceCheck(name: name, verdict: .fail, detail: "the hello does not list \"credentials\", yet a connect with credentials_file was acked ok: list the capability, or refuse the option")]
            case .failure(let error): return [ConformanceCheck(name: name, verdict: .fail, detail: "\(error)")]
            }
        }
        guard case .success(let ack) = connect, ack.ok else {
            return [ConformanceCheck(name: name, verdict: .fail, detail: "a connect with a valid creds file to a server in operator mode failed: \(connect)")]
        }
        let mark = s.transcript.count
        let reported = await s.transcript.wait(since: mark, timeout: .seconds(6)) {
            ["error", "disconnected", "closed"].contains($0.event) && $0.errorKind == ErrorKind.authenticationExpired.rawValue
        }
        let late = (Date().timeIntervalSince1970 - Double(expiresAt)) * 1000
        guard let reported else {
            let seen = s.transcript.lines(since: mark).filter { ["error", "disconnected", "closed"].contains($0.event) }
                .map { "\($0.event ?? "?") \($0.errorKind ?? "without an error")" }
            return [ConformanceCheck(name: name, verdict: .fail, detail: "no error, disconnected or closed event with kind authentication_expired within 6 s of connecting (the JWT expired \(String(format: "%.0f", late)) ms ago); seen: \(seen.isEmpty ? "nothing" : seen.joined(separator: ", "))")]
        }
        return [ConformanceCheck(name: name, verdict: .pass, detail: "\(reported.event ?? "?") authentication_expired, seen \(String(format: "%.0f", late)) ms after the JWT's expiry")]
    }

    private func closedAfterMaxReconnects(server: ServerProcess, transcripts: inout [Transcript]) async -> [ConformanceCheck] {
        let name = "closed after max reconnects"
        guard let opened = try? await session("reconnects", transcripts: &transcripts), let s = opened.session else {
            return [ConformanceCheck(name: name, verdict: .notRun, detail: "the driver did not start a third time")]
        }
        let t = s.transcript
        guard case .success(let ack) = await s.call(.connect(servers: [server.spec.url], name: "natsfault-conformance-reconnects",
                                                             options: Self.options(maxReconnects: 2, reconnectWait: .milliseconds(100), connectTimeout: .seconds(1)))),
              ack.ok else {
            await s.driver.shutdown()
            return [ConformanceCheck(name: name, verdict: .fail, detail: "could not connect to \(server.spec.url)")]
        }
        let mark = t.count
        let killed = MonotonicClock.nowNs()
        await server.stop(signal: SIGKILL)
        var problems: [String] = []
        let disconnected = await t.wait(since: mark, timeout: .seconds(5)) { $0.event == "disconnected" }
        if disconnected == nil { problems.append("no disconnected event within 5 s of the server's death") }
        let closed = await t.wait(since: mark, timeout: .seconds(10)) { $0.event == "closed" }
        if closed == nil { problems.append("no closed event within 10 s (2 reconnects, 100 ms apart)") }
        // The documented kind of giving up (docs/driver-protocol.md): no server left to try.
        if let closed, closed.errorKind != ErrorKind.noServers.rawValue {
            problems.append("closed with \(closed.errorKind.map { "kind \($0)" } ?? "no error"); a close after exhausted reconnects reports kind no_servers")
        }
        await s.driver.shutdown()
        let detail = "disconnected after \(Self.ms(disconnected, since: killed)), closed after \(Self.ms(closed, since: killed))\(closed?.errorKind.map { " with \($0)" } ?? "")"
        return [ConformanceCheck(name: name, verdict: problems.isEmpty ? .pass : .fail, detail: problems.isEmpty ? detail : problems.joined(separator: "; "))]
    }

    /// What is wrong with a driver's hello line (nil: it wrote none), by DRIVER-PROTOCOL v1; empty when nothing is.
    static func helloProblems(_ line: Transcript.Line?) -> [String] {
        guard let line else { return ["no hello line in the transcript"] }
        var problems: [String] = []
        if line.object["protocol"] != .int(1) { problems.append("\"protocol\" must be 1") }
        if (line.string("library") ?? "").isEmpty { problems.append("\"library\" must name the client library") }
        if (line.string("library_version") ?? "").isEmpty { problems.append("\"library_version\" must be given") }
        if case .array(let items)? = line.object["capabilities"], items.allSatisfy({ if case .string = $0 { true } else { false } }) {} else {
            problems.append("\"capabilities\" must be a list of strings")
        }
        if line.int("mono_ns") == nil { problems.append("\"mono_ns\" missing") }
        // Version 1.1: a driver that lists jetstream says so in its hello.
        if case .array(let items)? = line.object["capabilities"], items.contains(.string("jetstream")), (line.int("protocol_minor") ?? 0) < 1 {
            problems.append("\"capabilities\" lists jetstream (DRIVER-PROTOCOL v1.1), so \"protocol_minor\" must be 1")
        }
        return problems
    }

    // MARK: checks over every line

    /// The clock, the error vocabulary, the output format and the acks, judged over every line of every session.
    static func transcriptChecks(_ transcripts: [Transcript]) -> [ConformanceCheck] {
        let all = transcripts.flatMap { t in t.lines(since: 0).map { (t, $0) } }
        guard !all.isEmpty else { return [] }

        var malformed: [String] = []
        for (t, line) in all where !line.isObject || line.event == nil {
            malformed.append("\(t.label): \(line.raw.prefix(120))")
        }
        var checks = [ConformanceCheck(name: "output", verdict: malformed.isEmpty ? .pass : .fail,
                                       detail: malformed.isEmpty ? "\(all.count) lines, each a JSON object with an \"event\""
                                           : "\(malformed.count) lines are not JSON objects with an \"event\", e.g. \(malformed.prefix(3).joined(separator: " | "))")]

        var clock: [String] = []
        var lag: [Int] = []
        for (t, line) in all where line.isObject {
            guard let mono = line.int("mono_ns") else { clock.append("\(t.label): no integer mono_ns: \(line.raw.prefix(120))"); continue }
            if Int64(mono) < t.spawnedNs || Int64(mono) > line.receivedNs {
                clock.append("\(t.label): mono_ns \(mono) outside [driver start \(t.spawnedNs), received \(line.receivedNs)]: \(line.raw.prefix(120))")
            } else {
                lag.append(Int(line.receivedNs) - mono)
            }
        }
        lag.sort()
        let p99 = lag.isEmpty ? 0 : lag[min(lag.count - 1, lag.count * 99 / 100)]
        checks.append(ConformanceCheck(name: "shared clock", verdict: clock.isEmpty ? .pass : .fail,
                                       detail: clock.isEmpty ? "every event's mono_ns lies between its driver's start and its arrival (p99 \(String(format: "%.2f", Double(p99) / 1e6)) ms before arrival)"
                                           : "\(clock.count) events off the shared CLOCK_MONOTONIC, e.g. \(clock.prefix(3).joined(separator: " | "))"))

        let allowed = Set(ErrorKind.allCases.map(\.rawValue))
        var kinds: [String: Int] = [:]
        var unknown: [String] = []
        for (_, line) in all {
            guard let kind = line.errorKind else { continue }
            kinds[kind, default: 0] += 1
            if !allowed.contains(kind) { unknown.append(kind) }
        }
        checks.append(ConformanceCheck(name: "error kinds", verdict: unknown.isEmpty ? .pass : .fail,
                                       detail: unknown.isEmpty ? "all from the shared vocabulary: \(kinds.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))"
                                           : "not in the shared vocabulary: \(Set(unknown).sorted().joined(separator: ", ")); allowed: \(ErrorKind.allowedList)"))

        var ackProblems: [String] = []
        var commands = 0
        for t in transcripts {
            let ids = t.lines(since: 0).filter { $0.event == "ack" }.compactMap { $0.int("id") }
            commands += t.commands
            let duplicates = Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            if !duplicates.isEmpty { ackProblems.append("\(t.label): several acks for command \(duplicates.map(String.init).joined(separator: ", "))") }
            let unasked = ids.filter { $0 < 1 || $0 > t.commands }
            if !unasked.isEmpty { ackProblems.append("\(t.label): acks for commands never sent: \(unasked)") }
        }
        // A missing ack already failed the check of the op it belongs to (natsfault waits for every one).
        checks.append(ConformanceCheck(name: "acks", verdict: ackProblems.isEmpty ? .pass : .fail,
                                       detail: ackProblems.isEmpty ? "\(commands) commands, at most one ack each, none unasked" : ackProblems.joined(separator: "; ")))
        return checks
    }

    // MARK: helpers

    /// Every `published` event (or `js_ack` / `js_publish_failed`: `event`) carries `call_ns`: how long the publish call
    /// took, so that `fails_within` can be judged; it was sent (`mono_ns - call_ns`) after the `command` was.
    static func callTimeProblems(_ published: [Transcript.Line], sentNs: Int64, event: String = "published", command: String = "publish") -> [String] {
        let missing = published.filter { $0.int("call_ns") == nil }
        if !missing.isEmpty { return ["\(missing.count) \(event) events lack an integer call_ns (the publish call's duration), e.g. \(missing[0].raw.prefix(120))"] }
        let wrong = published.filter { line in
            guard let call = line.int("call_ns"), let mono = line.int("mono_ns") else { return true }
            return call < 0 || Int64(mono - call) < sentNs
        }
        return wrong.isEmpty ? [] : ["\(wrong.count) \(event) events have a call_ns that puts the call before the \(command) command, e.g. \(wrong[0].raw.prefix(120))"]
    }

    static func expectOK(_ result: Result<DriverAck, DriverError>, _ what: String) -> [String] {
        switch result {
        case .success(let ack) where ack.ok: []
        case .success(let ack): ["\(what): \(describe(ack))"]
        case .failure(let error): ["\(what): \(error)"]
        }
    }

    static func describe(_ ack: DriverAck) -> String {
        "ack ok:\(ack.ok)" + (ack.error.map { ", error \($0.kind): \($0.message ?? "")" } ?? "")
    }

    static func ms(_ line: Transcript.Line?, since ns: Int64) -> String {
        guard let line, let mono = line.int("mono_ns") else { return "—" }
        return String(format: "%.0f ms", Double(Int64(mono) - ns) / 1e6)
    }
}

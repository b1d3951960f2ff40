import Foundation
public import NATSFaultScenario

/// natsfault's own JetStream administration, over `$JS.API` on a probe connection straight to a server: it waits for
/// JetStream to be ready, creates the scenario's streams and consumers before the timeline starts, and reads streams
/// back at the end.
public enum JetStreamAdmin {
    /// Why a JetStream request failed: no answer, or the API's own error.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        /// The API's `err_code` (10059 stream not found, 10037 no message found, …), when it answered with one.
        public var code: Int?

        public init(description: String, code: Int? = nil) {
            self.description = description
            self.code = code
        }
    }

    /// Sends `requests` (subject, payload: a JSON body or nothing) one after another on one connection; the decoded
    /// JSON answer of each, or the failure (timeout, no responders, an API error) of each.
    static func exchange(_ target: RequestProbe.Target, _ requests: [(subject: String, payload: [UInt8])],
                         timeout: Duration) async throws -> [Result<[String: Any], Failure>] {
        let outcomes = try await RequestProbe.onConnection(target) { connection in
            try requests.enumerated().map { index, request in
                try connection.request(subject: request.subject, payload: request.payload, timeout: timeout, gather: false, index: index)
            }
        }
        return zip(outcomes, requests).map { decode($0, subject: $1.subject) }
    }

    /// One request; throws its failure.
    static func request(_ target: RequestProbe.Target, _ subject: String, payload: [UInt8] = [], timeout: Duration) async throws -> [String: Any] {
        try await exchange(target, [(subject, payload)], timeout: timeout)[0].get()
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? []
    }

    private static func decode(_ outcome: RequestProbe.Outcome, subject: String) -> Result<[String: Any], Failure> {
        switch outcome {
        case .noResponders: return .failure(Failure(description: "no responders for \(subject): JetStream is not enabled on that server, or not ready"))
        case .timeout(let ns): return .failure(Failure(description: "no answer to \(subject) within \(ns / 1_000_000) ms"))
        case .replies(let replies, _):
            guard let body = replies.first, let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
                return .failure(Failure(description: "\(subject) answered with something other than a JSON object"))
            }
            if let error = object["error"] as? [String: Any] {
                let text = error["description"] as? String ?? "an error"
                return .failure(Failure(description: "\(subject): \(text)", code: error["err_code"] as? Int))
            }
            return .success(object)
        }
    }

    /// Asks `what` until it succeeds, or `within` has passed (then throws the last failure): a cluster's JetStream
    /// answers "temporarily unavailable" until it has elected its meta leader, and a stream's replicas need their own.
    public static func retrying(within: Duration, _ what: @Sendable () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + within
        while true {
            do {
                return try await what()
            } catch let failure as Failure where failure.code == nil || retryable.contains(failure.code!) {
                if ContinuousClock.now >= deadline { throw failure }
            } catch let failure as RequestProbe.Failure {
                if ContinuousClock.now >= deadline { throw failure }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// API errors that mean "not yet": JetStream temporarily unavailable (10008), cluster not available (10009), no suitable
    /// peers yet (10005), and insufficient resources (10023), which a cluster reports while its peers are still joining.
    static let retryable: Set<Int> = [10008, 10009, 10005, 10023]

    /// Creates `stream` (an existing stream of the same config is fine) through `target`.
    public static func create(_ stream: StreamSpec, defaultStore: JetStreamConfig.Store, on target: RequestProbe.Target, within: Duration) async throws {
        let body = json(stream.createRequest(defaultStore: defaultStore))
        try await retrying(within: within) { _ = try await request(target, "$JS.API.STREAM.CREATE.\(stream.name)", payload: body, timeout: .seconds(5)) }
    }

    /// Creates the durable `consumer` through `target`.
    public static func create(_ consumer: ConsumerSpec, on target: RequestProbe.Target, within: Duration) async throws {
        let body = json(consumer.createRequest)
        try await retrying(within: within) {
            _ = try await request(target, "$JS.API.CONSUMER.DURABLE.CREATE.\(consumer.stream).\(consumer.durable)", payload: body, timeout: .seconds(5))
        }
    }

    /// Has `stream` led by the server named `leader`: while another leads, asks it to step down, and waits for the next
    /// election; throws when `within` passes first. Returns how many step-downs it took.
    public static func makeLeader(_ leader: String, of stream: String, on target: RequestProbe.Target, within: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + within
        var stepDowns = 0
        var current: String?
        while ContinuousClock.now < deadline {
            let info = try? await request(target, "$JS.API.STREAM.INFO.\(stream)", timeout: .seconds(2))
            current = (info?["cluster"] as? [String: Any])?["leader"] as? String
            if current == leader { return stepDowns }
            if current != nil {
                if (try? await request(target, "$JS.API.STREAM.LEADER.STEPDOWN.\(stream)", timeout: .seconds(2))) != nil { stepDowns += 1 }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw Failure(description: "server \(leader) did not become the leader of stream \(stream) within \(within) (\(stepDowns) step-downs; the leader is \(current ?? "unknown"))")
    }

    /// The stream's state as the server answering `$JS.API.STREAM.INFO` (its leader) has it: (messages, first, last).
    public static func state(of stream: String, on target: RequestProbe.Target) async throws -> (messages: Int, first: Int, last: Int) {
        let info = try await request(target, "$JS.API.STREAM.INFO.\(stream)", timeout: .seconds(5))
        let state = info["state"] as? [String: Any] ?? [:]
        return (state["messages"] as? Int ?? 0, state["first_seq"] as? Int ?? 0, state["last_seq"] as? Int ?? 0)
    }

    /// A durable consumer's acknowledgement floor: the stream sequence up to which every message is acknowledged.
    public static func ackFloor(of durable: String, stream: String, on target: RequestProbe.Target) async throws -> Int {
        let info = try await request(target, "$JS.API.CONSUMER.INFO.\(stream).\(durable)", timeout: .seconds(5))
        return (info["ack_floor"] as? [String: Any])?["stream_seq"] as? Int ?? 0
    }

    /// Reads messages of `stream` by stream sequence on one connection: each one's payload, or nil when the stream
    /// does not hold it (deleted, never stored).
    public static func messages(of stream: String, seqs: [Int], on target: RequestProbe.Target) async throws -> [(seq: Int, payload: [UInt8]?)] {
        let answers = try await exchange(target, seqs.map { ("$JS.API.STREAM.MSG.GET.\(stream)", json(["seq": $0])) }, timeout: .seconds(5))
        var read: [(Int, [UInt8]?)] = []
        for (seq, answer) in zip(seqs, answers) {
            switch answer {
            case .success(let object):
                let data = (object["message"] as? [String: Any])?["data"] as? String
                read.append((seq, data.flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []))
            case .failure(let failure) where failure.code == 10037:
                read.append((seq, nil))
            case .failure(let failure):
                throw failure
            }
        }
        return read
    }

    /// Reads messages of `stream` by stream sequence from the replica on the server `target` connects to, with
    /// `$JS.API.DIRECT.GET` (the stream allows direct gets): every replica answers direct gets in one queue group, and
    /// nats-server hands a request to a queue member on the server it arrived at, so the answer is that server's own
    /// replica. Each one's payload, or nil when that replica does not hold it.
    public static func directMessages(of stream: String, seqs: [Int], on target: RequestProbe.Target) async throws -> [(seq: Int, payload: [UInt8]?)] {
        let requests = seqs.map { json(["seq": $0]) }
        return try await RequestProbe.onConnection(target) { connection in
            try zip(seqs, requests).enumerated().map { index, request in
                let seq = request.0
                guard let answer = try connection.exchange(subject: "$JS.API.DIRECT.GET.\(stream)", payload: request.1, timeout: .seconds(2), index: index) else {
                    throw Failure(description: "no answer to a direct get of \(stream) seq \(seq) within 2 s")
                }
                switch answer.status {
                case nil: return (seq, answer.payload)
                case 404?: return (seq, nil)
                case let status?: throw Failure(description: "a direct get of \(stream) seq \(seq) answered status \(status)")
                }
            }
        }
    }

    /// Each stream a server's replica holds, from its monitoring port (`/jsz?accounts=true&streams=true`):
    /// name → (messages, first, last).
    public static func replicas(host: String, monitorPort: Int) async throws -> [String: (messages: Int, first: Int, last: Int)] {
        let jsz = try await Monitoring.get(host: host, port: monitorPort, path: "/jsz?accounts=true&streams=true")
        var found: [String: (Int, Int, Int)] = [:]
        for account in jsz["account_details"] as? [[String: Any]] ?? [] {
            for stream in account["stream_detail"] as? [[String: Any]] ?? [] {
                guard let name = stream["name"] as? String else { continue }
                let state = stream["state"] as? [String: Any] ?? [:]
                found[name] = (state["messages"] as? Int ?? 0, state["first_seq"] as? Int ?? 0, state["last_seq"] as? Int ?? 0)
            }
        }
        return found
    }
}

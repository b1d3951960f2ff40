import Foundation
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline

/// A run's JetStream work of natsfault's own: the streams and consumers it creates before the timeline, and what it
/// reads back from the streams at the end for the `jetstream` assertions.
struct JetStreamRun {
    let scenario: Scenario
    let record: @Sendable (RecordedEvent) -> Void

    /// How long the streams and consumers may take to create: a cluster first elects its meta leader, then each
    /// replicated stream its own.
    static let setupWindow: Duration = .seconds(30)
    /// The most messages natsfault reads back from one stream at the end.
    static let readLimit = 20_000
    /// How long after the timeline natsfault waits for the replicas of a stream to agree, read every 200 ms; what they
    /// hold then is judged. A node partitioned while it led the stream was seen still catching up 55–89 s after the heal
    /// (nats-server 2.15.1 logs "Expected first catchup entry to be a snapshot and peerstate, will retry" until the new
    /// leader's next snapshot): lag, which the check shows, not divergence, which it fails.
    static let convergenceWindow: Duration = .seconds(10)
    /// How long natsfault keeps asking the servers' `$JS.API` for the read-back.
    static let apiWindow: Duration = .seconds(15)

    /// Where natsfault's requests to `server` go (JetStream scenarios have no operator mode, so no JWT).
    static func target(_ spec: ServerSpec) -> RequestProbe.Target { RequestProbe.Target(server: spec) }

    /// Creates the scenario's streams, then its consumers, each through its stream's server.
    func setUp() async throws {
        guard !scenario.streams.isEmpty else { return }
        let js = scenario.jetStreamServers
        for stream in scenario.streams {
            guard let home = stream.server.flatMap(scenario.server(named:)) ?? js.first(where: \.startAtBegin) else {
                throw ScenarioRunError.setupFailed("stream \(stream.name): no JetStream server is running before the timeline starts")
            }
            let store = home.config.jetStream?.store ?? .file
            do {
                try await JetStreamAdmin.create(stream, defaultStore: store, on: Self.target(home), within: Self.setupWindow)
            } catch {
                throw ScenarioRunError.setupFailed("creating JetStream stream \(stream.name) through server \(home.name): \(error)")
            }
            record(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: home.name, event: .log,
                                 text: "stream \(stream.name) created (subjects \(stream.subjects.joined(separator: ", ")), \(stream.replicas) replica(s))"))
            if let leader = stream.leader {
                do {
                    let stepDowns = try await JetStreamAdmin.makeLeader(leader, of: stream.name, on: Self.target(home), within: Self.setupWindow)
                    record(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: leader, event: .log,
                                         text: "server \(leader) leads stream \(stream.name) (after \(stepDowns) step-down(s))"))
                } catch {
                    throw ScenarioRunError.setupFailed("making server \(leader) the leader of stream \(stream.name): \(error)")
                }
            }
            for consumer in scenario.consumers where consumer.stream == stream.name {
                do {
                    try await JetStreamAdmin.create(consumer, on: Self.target(home), within: Self.setupWindow)
                } catch {
                    throw ScenarioRunError.setupFailed("creating consumer \(consumer.durable) of stream \(stream.name) through server \(home.name): \(error)")
                }
                record(RecordedEvent(monoNs: MonotonicClock.nowNs(), server: home.name, event: .log,
                                     text: "consumer \(consumer.durable) of stream \(stream.name) created (\(consumer.mode.rawValue), ack \(consumer.ackPolicy.rawValue))"))
            }
        }
    }

    /// For each stream a `jetstream` assertion names: each server's replica state (`js_stream_state`), the consumers'
    /// acknowledgement floors (`js_consumer_state`), and the messages the assertions cannot account for otherwise
    /// (`js_stored`): acknowledged ones the consumer never received, and stream sequences no acknowledgement names
    /// (failed publishes that landed). What cannot be read is recorded as a `log` event naming the stream, which the
    /// assertion shows.
    func readBack(_ events: [RecordedEvent]) async {
        let accountings = scenario.assertions.compactMap { a -> JetStreamAccounting? in if case .jetstream(let j) = a { j } else { nil } }
        guard !accountings.isEmpty else { return }
        for jsStream in Set(accountings.map(\.jsStream)).sorted() {
            let began = ContinuousClock.now
            let states = await replicaStates(jsStream)
            let tookNs = (ContinuousClock.now - began).nanoseconds
            for (server, state) in states {
                var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: server.name, event: .jsStreamState,
                                      text: "\(server.name)'s replica of \(jsStream): \(state.messages) messages, \(state.first)-\(state.last)")
                e.jsStream = jsStream
                e.messages = state.messages
                e.from = state.first
                e.to = state.last
                e.latencyNs = tookNs
                record(e)
            }
            if states.count > 1 { await compareReplicas(jsStream, states) }
            do {
                try await readMessages(jsStream, accountings.filter { $0.jsStream == jsStream }, events)
            } catch {
                var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .log, text: "stream \(jsStream) could not be read back: \(error)")
                e.jsStream = jsStream
                record(e)
            }
        }
    }

    /// Each JetStream server's replica of `jsStream` (from its monitoring port), read every 200 ms until they agree or
    /// `convergenceWindow` has passed: followers apply what the leader replicated a little later, and a node that was
    /// cut off or restarted catches up over seconds, so a reading taken meanwhile is lag, not divergence.
    private func replicaStates(_ jsStream: String) async -> [(ServerSpec, (messages: Int, first: Int, last: Int))] {
        let began = ContinuousClock.now
        var states: [(ServerSpec, (messages: Int, first: Int, last: Int))] = []
        while true {
            states = []
            for server in scenario.jetStreamServers {
                guard let replicas = try? await JetStreamAdmin.replicas(host: server.host, monitorPort: server.monitorPort),
                      let state = replicas[jsStream] else { continue }
                states.append((server, state))
            }
            let agree = Set(states.map { "\($0.1.messages) \($0.1.first) \($0.1.last)" }).count <= 1
            if agree || ContinuousClock.now - began >= Self.convergenceWindow { return states }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Compares the contents of the replicas over the sequences they all hold: the last 100, and up to 100 more spread
    /// over the rest, each read once through every JetStream server with a direct get. Every replica answers direct
    /// gets, in one queue group, and nats-server picks the one that answers (not always the one on the server asked:
    /// seen on 2.9.10), so the reads say which messages the replicas hold at a sequence, not which replica holds which.
    /// Reads of one sequence that found different messages are recorded as `js_replica_differs`: two replicas hold
    /// different messages at the same stream sequence. A replica that lacks one (catching up) answers nothing, which
    /// is not counted.
    private func compareReplicas(_ jsStream: String, _ states: [(ServerSpec, (messages: Int, first: Int, last: Int))]) async {
        let low = states.map(\.1.first).max() ?? 0, high = states.map(\.1.last).min() ?? 0
        guard low >= 1, high >= low else { return }
        var seqs = Set(Swift.max(low, high - 99)...high)
        let span = high - low + 1
        if span > 100 { for i in 0..<100 { seqs.insert(low + i * (span - 1) / 99) } }
        let sample = seqs.sorted()
        var found: [Int: Set<[UInt8]>] = [:]
        var reads = 0
        for (server, _) in states {
            do {
                for (seq, payload) in try await JetStreamAdmin.directMessages(of: jsStream, seqs: sample, on: Self.target(server)) {
                    if let payload { found[seq, default: []].insert(payload) }
                }
                reads += 1
            } catch {
                var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: server.name, event: .log,
                                      text: "direct gets of \(jsStream) through \(server.name) failed: \(error)")
                e.jsStream = jsStream
                record(e)
            }
        }
        guard reads > 0 else { return }
        var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .jsReplicaSample,
                              text: "\(jsStream): \(sample.count) sequences of \(low)-\(high) read through \(reads) server(s)")
        e.jsStream = jsStream
        e.messages = sample.count
        record(e)
        for seq in sample {
            guard let payloads = found[seq], payloads.count > 1 else { continue }
            var d = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .jsReplicaDiffers,
                                  text: "seq \(seq) holds " + payloads.map { Self.describe($0) }.sorted().joined(separator: " or "))
            d.jsStream = jsStream
            d.jsSeq = seq
            record(d)
        }
    }

    private static func describe(_ payload: [UInt8]?) -> String {
        guard let payload else { return "nothing" }
        let (seq, stream) = parsePayload(payload)
        return stream.map { "message \(seq) of \($0)" } ?? "\(payload.count) bytes"
    }

    /// Reads the consumers' acknowledgement floors and the messages to check through the first JetStream server whose
    /// `$JS.API` answers (a node that was cut off may answer only once its cluster has a meta leader again), for up to
    /// `apiWindow`.
    private func readMessages(_ jsStream: String, _ accountings: [JetStreamAccounting], _ events: [RecordedEvent]) async throws {
        let deadline = ContinuousClock.now + Self.apiWindow
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            for server in scenario.jetStreamServers {
                do {
                    try await readMessages(jsStream, accountings, events, through: server)
                    return
                } catch {
                    lastError = error
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw lastError ?? JetStreamAdmin.Failure(description: "no JetStream server answered", code: nil)
    }

    private func readMessages(_ jsStream: String, _ accountings: [JetStreamAccounting], _ events: [RecordedEvent], through server: ServerSpec) async throws {
        let target = Self.target(server)
        let state = try await JetStreamAdmin.state(of: jsStream, on: target)
        var floors: [RecordedEvent] = []
        for a in accountings {
            guard let client = a.consumerClient, let sub = a.consumerSub, let durable = durable(client: client, sub: sub) else { continue }
            let floor = try await JetStreamAdmin.ackFloor(of: durable, stream: jsStream, on: target)
            var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), client: client, server: server.name, event: .jsConsumerState,
                                  text: "consumer \(durable) of \(jsStream): every message up to stream sequence \(floor) acknowledged")
            e.sub = sub
            e.jsStream = jsStream
            e.jsSeq = floor
            floors.append(e)
        }
        let wanted = seqsToRead(jsStream, accountings, events)
        let unknown = unacknowledgedSeqs(jsStream, events, first: state.first, last: state.last)
        let seqs = Array(Set(wanted + unknown).sorted().prefix(Self.readLimit))
        let read = try await JetStreamAdmin.messages(of: jsStream, seqs: seqs, on: target)
        // Recorded only once everything was read, so that a retry through another server records nothing twice.
        floors.forEach(record)
        for (jsSeq, payload) in read {
            guard let payload else { continue }
            let (seq, stream) = Self.parsePayload(payload)
            var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), server: server.name, event: .jsStored)
            e.jsStream = jsStream
            e.jsSeq = jsSeq
            e.seq = seq
            e.stream = stream
            record(e)
        }
        if wanted.count + unknown.count > Self.readLimit {
            var e = RecordedEvent(monoNs: MonotonicClock.nowNs(), event: .log,
                                  text: "stream \(jsStream): read back the first \(Self.readLimit) of \(wanted.count + unknown.count) messages to check")
            e.jsStream = jsStream
            record(e)
        }
    }

    /// The durable consumer that `client`'s `js_consume` named `sub` consumes.
    private func durable(client: String, sub: String) -> String? {
        for step in scenario.steps {
            if case .client(.jsConsume(let c), let name) = step.action, name == client, c.sub == sub { return c.durable }
        }
        return nil
    }

    /// The stream sequences of acknowledged publishes that no assertion's consumer received.
    private func seqsToRead(_ jsStream: String, _ accountings: [JetStreamAccounting], _ events: [RecordedEvent]) -> [Int] {
        var seqs: [Int] = []
        for a in accountings {
            var received = Set<Int>()
            if let client = a.consumerClient {
                for e in events where e.event == .jsMessage && e.client == client && e.sub == a.consumerSub && e.stream == a.stream {
                    if let s = e.seq { received.insert(s) }
                }
            }
            for e in events where e.stream == a.stream && (e.jsStream == nil || e.jsStream == jsStream) {
                seqs += e.acknowledged.filter { !received.contains($0.seq) }.map(\.jsSeq)
            }
        }
        return seqs
    }

    /// The sequences of `first…last` that no acknowledgement names: what failed publishes may have left in the stream.
    private func unacknowledgedSeqs(_ jsStream: String, _ events: [RecordedEvent], first: Int, last: Int) -> [Int] {
        guard first >= 1, last >= first else { return [] }
        var acked = Set<Int>()
        for e in events where e.jsStream == nil || e.jsStream == jsStream { acked.formUnion(e.acknowledged.map(\.jsSeq)) }
        var seqs: [Int] = []
        for s in first...last where !acked.contains(s) {
            seqs.append(s)
            if seqs.count >= Self.readLimit { break }
        }
        return seqs
    }

    /// A numbered payload, `"<seq> <stream>"` padded with dots (DRIVER-PROTOCOL's convention): (seq, stream); (0, nil)
    /// when it is not one.
    static func parsePayload(_ payload: [UInt8]) -> (Int, String?) {
        guard let space = payload.firstIndex(of: UInt8(ascii: " ")), space > 0, space <= 18,
              let seq = Int(String(decoding: payload[..<space], as: UTF8.self)) else { return (0, nil) }
        var end = payload.endIndex
        while end > space + 1, payload[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let stream = String(decoding: payload[(space + 1)..<end], as: UTF8.self)
        guard !stream.isEmpty, !stream.contains(" ") else { return (0, nil) }
        return (seq, stream)
    }
}

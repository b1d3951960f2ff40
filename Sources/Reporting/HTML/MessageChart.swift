public import NATSFaultTimeline

/// One publisher stream as one subscriber saw it, counted per 100 ms: published, received, and the sequence
/// numbers it never received, over the outages of the clients involved.
///
/// Aggregated, so that a page stays small however many messages a run sent.
public struct MessageChart: Sendable, Hashable {
    public static let bucketNs: Int64 = 100_000_000

    public struct Bucket: Sendable, Hashable {
        /// Where it begins, in ns from the timeline's start.
        public var fromNs: Int64
        public var published = 0
        public var received = 0
        /// Sequence numbers published in it that the subscriber never received, as ranges.
        public var lost: [ClosedRange<Int>] = []
        public var lostCount: Int { lost.reduce(0) { $0 + $1.count } }
    }

    /// A stretch during which messages may go missing: a client disconnected, or a fault in effect.
    public struct Outage: Sendable, Hashable {
        public var fromNs: Int64
        public var toNs: Int64
        public var label: String
    }

    public var stream: String
    /// The client whose receipts are counted; nil for a stream nobody subscribed to.
    public var subscriber: String?
    /// The buckets that saw traffic, in time order.
    public var buckets: [Bucket]
    /// Sequence numbers published without an error that the subscriber never received, as sorted ranges.
    public var lost: [ClosedRange<Int>]
    public var lostCount: Int { lost.reduce(0) { $0 + $1.count } }
    public var outages: [Outage]

    /// A chart for each stream and each client that received it, in the order streams first appear.
    ///
    /// - Parameter timeline: the run's timeline chart, whose fault spans and client outages are shaded.
    public static func charts(_ result: ScenarioResult, timeline: TimelineChart) -> [MessageChart] {
        // One pass over the events, which may be tens of thousands of messages.
        var streams: [String] = []
        var traffic: [String: StreamTraffic] = [:]
        for e in result.events where e.event == .published || e.event == .message {
            guard let stream = e.stream else { continue }
            if traffic[stream] == nil { streams.append(stream) }
            traffic[stream, default: StreamTraffic()].add(e, bucket: bucketStart(e.monoNs - result.startNs))
        }
        return streams.flatMap { stream -> [MessageChart] in
            let t = traffic[stream]!
            return (t.subscribers.isEmpty ? [nil] : t.subscribers.map(Optional.some)).map { (subscriber: String?) in
                var buckets = Dictionary(uniqueKeysWithValues: t.published.map { ($0.key, Bucket(fromNs: $0.key, published: $0.value)) })
                var lost: [ClosedRange<Int>] = []
                if let subscriber, let receipts = t.received[subscriber] {
                    for (start, count) in receipts.buckets { buckets[start, default: Bucket(fromNs: start)].received = count }
                    let received = merged(receipts.seqs)
                    for (seqs, bucket) in t.publishedOK {
                        let missing = Self.missing(seqs, from: received)
                        buckets[bucket]!.lost += missing
                        lost += missing
                    }
                }
                let drawn = buckets.values.sorted { $0.fromNs < $1.fromNs }.map { b in
                    var b = b
                    b.lost = merged(b.lost)
                    return b
                }
                return MessageChart(stream: stream, subscriber: subscriber, buckets: drawn,
                                    lost: merged(lost), outages: outages(timeline, clients: t.publishers.union([subscriber].compactMap { $0 })))
            }
        }
    }

    /// The start of the bucket holding time `ns` (before the timeline's start too).
    static func bucketStart(_ ns: Int64) -> Int64 {
        (ns >= 0 ? ns / bucketNs : (ns - bucketNs + 1) / bucketNs) * bucketNs
    }

    /// What one pass over a run's events gathers about one stream, counted per bucket; sequence numbers are kept as
    /// the ranges the events carry (a driver may report thousands of messages in one event).
    private struct StreamTraffic {
        var publishers: Set<String> = []
        /// Messages published per bucket start.
        var published: [Int64: Int] = [:]
        /// The sequence numbers published without an error, with the bucket they were published in.
        var publishedOK: [(seqs: ClosedRange<Int>, bucket: Int64)] = []
        var subscribers: [String] = []
        /// Per subscriber: messages received per bucket start, and the sequence numbers that arrived.
        var received: [String: (buckets: [Int64: Int], seqs: [ClosedRange<Int>])] = [:]

        mutating func add(_ e: RecordedEvent, bucket: Int64) {
            let count = e.seqs?.count ?? 1
            if e.event == .published {
                if let client = e.client { publishers.insert(client) }
                published[bucket, default: 0] += count
                if e.ok == true, let seqs = e.seqs { publishedOK.append((seqs, bucket)) }
            } else if let client = e.client {
                if received[client] == nil { subscribers.append(client) }
                received[client, default: ([:], [])].buckets[bucket, default: 0] += count
                if let seqs = e.seqs { received[client]!.seqs.append(seqs) }
            }
        }
    }

    /// Ranges sorted and joined where they overlap or touch.
    static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The parts of `seqs` that none of `received` (merged) covers.
    static func missing(_ seqs: ClosedRange<Int>, from received: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        var next = seqs.lowerBound
        // The first received range that could overlap: binary search on upper bounds.
        var low = 0, high = received.count
        while low < high {
            let mid = (low + high) / 2
            if received[mid].upperBound < seqs.lowerBound { low = mid + 1 } else { high = mid }
        }
        for r in received[low...] {
            if r.lowerBound > seqs.upperBound { break }
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = max(next, r.upperBound + 1)
        }
        if next <= seqs.upperBound { out.append(next...seqs.upperBound) }
        return out
    }

    /// Ranges of sequence numbers as text, the first 20 of them: `1-5, 9, 12-13`.
    static func text(_ ranges: [ClosedRange<Int>]) -> String {
        let parts = ranges.prefix(20).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return parts.joined(separator: ", ") + (ranges.count > 20 ? ", …" : "")
    }

    /// The fault spans of the timeline and the stretches `clients` spent disconnected or reconnecting, up to the
    /// teardown (which stops servers under their clients).
    static func outages(_ timeline: TimelineChart, clients: Set<String>) -> [Outage] {
        let end = timeline.teardownNs ?? .max
        return timeline.lanes.flatMap { lane -> [Outage] in
            switch lane.kind {
            case .fault:
                return lane.spans.map { Outage(fromNs: $0.fromNs, toNs: $0.toNs, label: $0.label) }
            case .client where clients.contains(lane.name):
                return lane.spans.filter { ($0.state == .disconnected || $0.state == .reconnecting) && $0.fromNs < end }
                    .map { Outage(fromNs: $0.fromNs, toNs: $0.toNs, label: "client \(lane.name) \($0.state.rawValue)") }
            default:
                return []
            }
        }
    }

    static let height = 130.0
    static let baseline = 96.0

    /// The chart drawn on `scale`: published and received bars per bucket, lost messages in red below the
    /// baseline, outages shaded over them.
    public func drawing(scale: ChartScale) -> Drawing {
        let top = 18.0
        let peak = Double(max(buckets.map { max($0.published, $0.received) }.max() ?? 1, 1))
        let peakLost = Double(max(buckets.map(\.lostCount).max() ?? 1, 1))
        var shapes = scale.grid(height: Self.height, labelY: 12)
        shapes.append(.text(x: 4, y: top + 16, "stream \(stream)", style: "lane-label"))
        shapes.append(.text(x: 4, y: top + 32, subscriber.map { "at \($0)" } ?? "no subscriber", style: "lane-label sub"))
        shapes.append(.text(x: 4, y: Self.baseline - 2, "max \(Int(peak))/100ms", style: "tick"))
        shapes.append(.line(x1: ChartScale.labelWidth, y1: Self.baseline, x2: scale.width, y2: Self.baseline, style: "baseline"))
        for b in buckets {
            let x = scale.x(b.fromNs)
            let w = max(scale.x(b.fromNs + Self.bucketNs) - x - 0.5, 1)
            let title = "\(TimelineChart.time(b.fromNs)): published \(b.published), received \(b.received)"
                + (b.lost.isEmpty ? "" : ", lost \(b.lostCount) (seq \(Self.text(b.lost)))")
            if b.published > 0 {
                let h = Double(b.published) / peak * (Self.baseline - top)
                shapes.append(.rect(x: x, y: Self.baseline - h, width: w, height: h, style: "published", title: title))
            }
            if b.received > 0 {
                let h = Double(b.received) / peak * (Self.baseline - top)
                shapes.append(.rect(x: x + w / 4, y: Self.baseline - h, width: w / 2, height: h, style: "received", title: title))
            }
            if !b.lost.isEmpty {
                shapes.append(.rect(x: x, y: Self.baseline + 2, width: w, height: 4 + Double(b.lostCount) / peakLost * 24, style: "lost", title: title))
            }
        }
        for outage in outages {
            // A band above the bars carries the outage's hover text; the shade over the bars lets theirs through.
            let x = scale.x(outage.fromNs), width = scale.x(outage.toNs) - x
            let title = "\(outage.label) \(TimelineChart.time(outage.fromNs)) → \(TimelineChart.time(outage.toNs))"
            shapes.append(.rect(x: x, y: top - 4, width: width, height: 4, style: "outage band", title: title))
            shapes.append(.rect(x: x, y: top, width: width, height: Self.height - top - 4, style: "outage"))
        }
        return Drawing(width: scale.width, height: Self.height, label: "messages of stream \(stream)", shapes: shapes)
    }
}

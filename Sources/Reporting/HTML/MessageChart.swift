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
        /// Sequence numbers published in it that the subscriber never received.
        public var lost: [Int] = []
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
    public var lost: [Int]
    public var outages: [Outage]

    /// A chart for each stream and each client that received it, in the order streams first appear.
    ///
    /// - Parameter timeline: the run's timeline chart, whose fault spans and client outages are shaded.
    public static func charts(_ result: ScenarioResult, timeline: TimelineChart) -> [MessageChart] {
        let origin = result.startNs
        let traffic = result.events.filter { $0.stream != nil && ($0.event == .published || $0.event == .message) }
        var streams: [String] = []
        for e in traffic where !streams.contains(e.stream!) { streams.append(e.stream!) }
        return streams.flatMap { stream -> [MessageChart] in
            let events = traffic.filter { $0.stream == stream }
            let published = events.filter { $0.event == .published }
            var subscribers: [String] = []
            for e in events where e.event == .message { if let c = e.client, !subscribers.contains(c) { subscribers.append(c) } }
            let involved = Set(published.compactMap(\.client))
            return (subscribers.isEmpty ? [nil] : subscribers.map(Optional.some)).map { (subscriber: String?) in
                var buckets: [Int64: Bucket] = [:]
                func add(_ ns: Int64, _ change: (inout Bucket) -> Void) {
                    let start = Int64((Double(ns - origin) / Double(bucketNs)).rounded(.down)) * bucketNs
                    change(&buckets[start, default: Bucket(fromNs: start)])
                }
                var publishedAt: [Int: Int64] = [:]
                for e in published {
                    add(e.monoNs) { $0.published += e.seqs?.count ?? 1 }
                    if e.ok == true, let seqs = e.seqs { for s in seqs { publishedAt[s] = e.monoNs } }
                }
                var received = Set<Int>()
                for e in events where e.event == .message && e.client == subscriber {
                    add(e.monoNs) { $0.received += e.seqs?.count ?? 1 }
                    if let seqs = e.seqs { received.formUnion(seqs) }
                }
                let lost = subscriber == nil ? [] : publishedAt.keys.filter { !received.contains($0) }.sorted()
                for s in lost { add(publishedAt[s]!) { $0.lost.append(s) } }
                return MessageChart(stream: stream, subscriber: subscriber, buckets: buckets.values.sorted { $0.fromNs < $1.fromNs },
                                    lost: lost, outages: outages(timeline, clients: involved.union([subscriber].compactMap { $0 })))
            }
        }
    }

    /// The fault spans of the timeline and the stretches `clients` spent disconnected or reconnecting.
    static func outages(_ timeline: TimelineChart, clients: Set<String>) -> [Outage] {
        timeline.lanes.flatMap { lane -> [Outage] in
            switch lane.kind {
            case .fault:
                return lane.spans.map { Outage(fromNs: $0.fromNs, toNs: $0.toNs, label: $0.label) }
            case .client where clients.contains(lane.name):
                return lane.spans.filter { $0.state == .disconnected || $0.state == .reconnecting }
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
        let peakLost = Double(max(buckets.map(\.lost.count).max() ?? 1, 1))
        var shapes = scale.grid(height: Self.height, labelY: 12)
        shapes.append(.text(x: 4, y: top + 16, "stream \(stream)", style: "lane-label"))
        shapes.append(.text(x: 4, y: top + 32, subscriber.map { "at \($0)" } ?? "no subscriber", style: "lane-label sub"))
        shapes.append(.text(x: 4, y: Self.baseline - 2, "max \(Int(peak))/100ms", style: "tick"))
        shapes.append(.line(x1: ChartScale.labelWidth, y1: Self.baseline, x2: scale.width, y2: Self.baseline, style: "baseline"))
        for b in buckets {
            let x = scale.x(b.fromNs)
            let w = max(scale.x(b.fromNs + Self.bucketNs) - x - 0.5, 1)
            let title = "\(TimelineChart.time(b.fromNs)): published \(b.published), received \(b.received)"
                + (b.lost.isEmpty ? "" : ", lost \(b.lost.count) (seq \(ranges(b.lost)))")
            if b.published > 0 {
                let h = Double(b.published) / peak * (Self.baseline - top)
                shapes.append(.rect(x: x, y: Self.baseline - h, width: w, height: h, style: "published", title: title))
            }
            if b.received > 0 {
                let h = Double(b.received) / peak * (Self.baseline - top)
                shapes.append(.rect(x: x + w / 4, y: Self.baseline - h, width: w / 2, height: h, style: "received", title: title))
            }
            if !b.lost.isEmpty {
                shapes.append(.rect(x: x, y: Self.baseline + 2, width: w, height: 4 + Double(b.lost.count) / peakLost * 24, style: "lost", title: title))
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

public import NATSFaultTimeline
import NATSFaultScenario

/// What one run's timeline chart shows: a lane per server, per fault that is not a server's own, and per client,
/// with each expectation's window over the lane it watched. Times are nanoseconds from the timeline's start.
///
/// Plain values derived from the recorded events only, so that the chart is judged in tests without drawing it.
public struct TimelineChart: Sendable, Hashable {
    public enum LaneKind: String, Sendable, Hashable {
        case server, fault, client
    }

    /// A state that lasts: a server running or paused, a fault in effect, a client connected or reconnecting.
    public enum State: String, Sendable, Hashable {
        case running, starting, stopping, stopped, paused, restarting
        case lameDuck = "lame-duck"
        /// A lasting fault in effect (a proxy link fault, a firewall rule, a paused client).
        case inEffect = "in-effect"
        case connected, disconnected, reconnecting, closed
    }

    public struct Span: Sendable, Hashable {
        public var fromNs: Int64
        public var toNs: Int64
        public var state: State
        /// What hovering it shows.
        public var label: String
    }

    /// Something that happened at one instant: a fault, an error, a lame-duck notice.
    public struct Mark: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case fault, heal, error, notice, exit
        }
        public var atNs: Int64
        public var kind: Kind
        /// The short text drawn beside it (an error's kind, a fault's name).
        public var label: String
        /// The whole event, for hovering.
        public var detail: String
    }

    /// An expectation's window over its lane: from `opensNs` to `closesNs`, with every matching event it saw.
    public struct Window: Sendable, Hashable {
        public var anchorNs: Int64
        public var opensNs: Int64
        public var closesNs: Int64
        public var passed: Bool
        public var seenNs: [Int64]
        /// Which of the run's checks it is (its position in `checks`).
        public var check: Int
        public var label: String

        /// Whether an event seen at `ns` fell outside the window (too early or late).
        public func isOutside(_ ns: Int64) -> Bool { ns < opensNs || ns > closesNs }
    }

    public struct Lane: Sendable, Hashable {
        public var kind: LaneKind
        public var name: String
        public var spans: [Span] = []
        public var marks: [Mark] = []
        public var windows: [Window] = []
    }

    public var lanes: [Lane]
    /// The stretch the chart covers: from the first recorded event (servers start before the timeline) to the last
    /// event or the timeline's end, whichever is later; windows that close after it are cut there.
    public var fromNs: Int64
    public var toNs: Int64
    /// When the timeline ended and teardown began, if it was recorded.
    public var teardownNs: Int64?

    /// The chart of `result`'s recorded events and checks.
    public init(_ result: ScenarioResult) {
        let origin = result.startNs
        let events = result.events.filter { !$0.isTraffic && $0.event != .output }
        func at(_ e: RecordedEvent) -> Int64 { e.monoNs - origin }
        let windows = result.checks.enumerated().compactMap { i, c in c.window.map { (i, c, $0) } }
        // A window's close is left out: a met expectation's window may close long after the run ended.
        let times: [Int64] = result.events.map(\.monoNs) + windows.flatMap { [$0.2.opensNs] + $0.2.seenNs }
        let timelineEnd = Int64(result.timelineSeconds * 1e9)
        fromNs = min(0, (times.min() ?? origin) - origin)
        toNs = max(timelineEnd, (times.max() ?? origin) - origin, fromNs + 1)

        teardownNs = events.first { $0.event == .teardown }.map(at)
        var servers = Lanes(kind: .server)
        var faults: [Lane] = []
        var clients = Lanes(kind: .client)
        var openFaults: [(lane: Int, event: RecordedEvent)] = []
        func closeFault(_ index: Int, at ns: Int64, _ how: String) {
            let open = openFaults.remove(at: index)
            faults[open.lane].spans[0].toNs = ns
            faults[open.lane].spans[0].label += " — \(how) at \(Self.time(ns))"
        }

        for e in events {
            let t = at(e)
            switch e.event {
            case .serverReady:
                servers.enter(e.server, .running, at: t, "ready")
            case .serverExited where servers.current(e.server) == .restarting:
                break  // a restart's stop: the server stays restarting until it is ready again
            case .serverExited:
                servers.enter(e.server, .stopped, at: t, "exited" + (e.text.map { " (\($0))" } ?? ""))
            case .fault:
                let name = e.fault ?? "fault"
                let kind = FaultKind(name)
                if kind.target == .server, let server = e.server {
                    servers.mark(server, Mark(atNs: t, kind: .fault, label: name, detail: e.text ?? name))
                    if let state = kind.serverState { servers.enter(server, state, at: t, e.text ?? name) }
                    continue
                }
                if kind.harmless {
                    // A resume ends the pause before it, with no heal of its own.
                    if let i = openFaults.firstIndex(where: { $0.event.client == e.client && $0.event.server == e.server }) {
                        closeFault(i, at: t, name)
                    }
                    if let client = e.client { clients.mark(client, Mark(atNs: t, kind: .heal, label: name, detail: e.text ?? name)) }
                    continue
                }
                var lane = Lane(kind: .fault, name: e.text ?? name)
                if kind.lasts {
                    lane.spans = [Span(fromNs: t, toNs: toNs, state: .inEffect, label: "\(e.text ?? name) from \(Self.time(t))")]
                    openFaults.append((faults.count, e))
                } else {
                    lane.marks = [Mark(atNs: t, kind: .fault, label: name, detail: e.text ?? name)]
                }
                faults.append(lane)
            case .heal:
                let healed = e.text.map { $0.hasPrefix("healed: ") ? String($0.dropFirst(8)) : $0 }
                if let i = openFaults.firstIndex(where: { $0.event.text == healed }) { closeFault(i, at: t, "healed") }
            case .connected, .reconnected:
                clients.enter(e.client, .connected, at: t, e.event.rawValue + (e.url.map { " to \($0)" } ?? ""))
            case .disconnected:
                // Reconnecting if it connects again before it closes or exits; disconnected for good otherwise.
                let next = events.first { $0.client == e.client && $0.monoNs >= e.monoNs && [.reconnected, .connected, .closed, .exited].contains($0.event) }
                let recovers = next.map { [.reconnected, .connected].contains($0.event) } ?? false
                clients.enter(e.client, recovers ? .reconnecting : .disconnected, at: t, "disconnected" + (e.errorDescription.map { ": \($0)" } ?? ""))
            case .closed:
                clients.enter(e.client, .closed, at: t, "closed" + (e.errorDescription.map { ": \($0)" } ?? ""))
            case .exited:
                clients.end(e.client, at: t)
                clients.mark(e.client, Mark(atNs: t, kind: .exit, label: "exited", detail: FailureReport.line(e)))
            case EventName(.error), .serverErr, .connectFailed:
                clients.mark(e.client, Mark(atNs: t, kind: .error, label: e.error?.kind ?? e.event.rawValue, detail: FailureReport.line(e)))
            case EventName(.lameDuck), EventName(.discoveredServers), .pingDropped, .pongDropped:
                let label = e.event == EventName(.discoveredServers) ? "discovered" : e.event.rawValue
                if e.client != nil { clients.mark(e.client, Mark(atNs: t, kind: .notice, label: label, detail: FailureReport.line(e))) }
            default:
                break
            }
        }

        servers.close(at: toNs)
        clients.close(at: toNs)
        var lanes = servers.lanes + faults + clients.lanes
        for (index, check, window) in windows {
            let drawn = Window(anchorNs: window.anchorNs - origin, opensNs: window.opensNs - origin, closesNs: window.closesNs - origin,
                               passed: check.passed, seenNs: window.seenNs.map { $0 - origin }, check: index, label: check.expected)
            let (kind, name) = window.client.map { (LaneKind.client, $0) } ?? (LaneKind.server, window.server ?? "")
            if let i = lanes.firstIndex(where: { $0.kind == kind && $0.name == name }) {
                lanes[i].windows.append(drawn)
            } else {
                lanes.append(Lane(kind: kind, name: name, windows: [drawn]))
            }
        }
        self.lanes = lanes
    }

    /// `+1.234s`, as the chart labels times (to the millisecond, cut rather than rounded).
    static func time(_ ns: Int64) -> String {
        let ms = abs(ns) / 1_000_000
        let fraction = String(ms % 1000)
        return "\(ns < 0 ? "-" : "+")\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }
}

/// The lanes of one kind (servers or clients), each a run of states from its first event on.
private struct Lanes {
    let kind: TimelineChart.LaneKind
    var lanes: [TimelineChart.Lane] = []
    /// The lanes whose last state has not ended yet.
    private var open: Set<String> = []

    init(kind: TimelineChart.LaneKind) { self.kind = kind }

    private mutating func index(_ name: String) -> Int {
        if let i = lanes.firstIndex(where: { $0.name == name }) { return i }
        lanes.append(TimelineChart.Lane(kind: kind, name: name))
        return lanes.count - 1
    }

    /// The lane's state now, if one is open.
    func current(_ name: String?) -> TimelineChart.State? {
        guard let name, open.contains(name) else { return nil }
        return lanes.first { $0.name == name }?.spans.last?.state
    }

    /// Ends the lane's current state at `ns` and begins `state` there.
    mutating func enter(_ name: String?, _ state: TimelineChart.State, at ns: Int64, _ label: String) {
        guard let name else { return }
        end(name, at: ns)
        lanes[index(name)].spans.append(TimelineChart.Span(fromNs: ns, toNs: ns, state: state, label: label))
        open.insert(name)
    }

    /// Ends the lane's current state at `ns`, leaving nothing after it (a driver process that exited).
    mutating func end(_ name: String?, at ns: Int64) {
        guard let name, open.remove(name) != nil else { return }
        let i = index(name)
        lanes[i].spans[lanes[i].spans.count - 1].toNs = ns
    }

    mutating func mark(_ name: String?, _ mark: TimelineChart.Mark) {
        guard let name else { return }
        lanes[index(name)].marks.append(mark)
    }

    /// Every state still open lasts to the chart's end.
    mutating func close(at ns: Int64) {
        for name in open { end(name, at: ns) }
    }
}

/// What the report needs to know about a recorded fault name, from the fault catalogue.
struct FaultKind {
    var target: FaultTarget?
    /// It stays in effect until healed (drawn as a span), rather than acting once (a mark).
    var lasts: Bool
    /// It starts or resumes something and so ends a pause instead of beginning an outage.
    var harmless: Bool
    /// The state a server fault puts its server in until its next ready or exit.
    var serverState: TimelineChart.State?

    init(_ recorded: String) {
        // Firewall faults are recorded with their action (`firewall_drop`, `firewall_reject`).
        let name = recorded.hasPrefix("firewall_") ? "firewall" : recorded
        let type: (any Fault.Type)? = FaultCatalog.step(named: name) ?? FaultCatalog.linkFault(named: name)
        target = type?.target
        lasts = type?.healable ?? false
        harmless = type?.harmless ?? false
        serverState = switch name {
        case "pause": .paused
        case "lame_duck": .lameDuck
        case "restart": .restarting
        case "stop", "kill": .stopping
        case "start": .starting
        case "resume": .running
        default: nil
        }
    }
}

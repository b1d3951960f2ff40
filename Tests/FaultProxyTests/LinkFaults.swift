@testable import NATSFaultScenario

/// The link faults as the relay tests use them: on every link, until healed.
enum F {
    static let every = LinkSelection()
    static let blackhole: any LinkFault = Blackhole(links: every)
    static let reset: any LinkFault = Reset(links: every)
    static let close: any LinkFault = Close(links: every)
    static let refuse: any LinkFault = Refuse(links: every)
    static func stall(_ d: Direction) -> any LinkFault { Stall(links: every, direction: d) }
    static func dropPings(_ d: Direction) -> any LinkFault { DropPings(links: every, direction: d) }
    static func dropPongs(_ d: Direction) -> any LinkFault { DropPongs(links: every, direction: d) }
    static func delayPongs(_ delay: Duration, _ d: Direction) -> any LinkFault { DelayPongs(links: every, delay: delay, direction: d) }
    static func latency(_ l: Duration, jitter: Duration, seed: UInt64, _ d: Direction) -> any LinkFault {
        Latency(links: every, latency: l, jitter: jitter, seed: seed, direction: d)
    }
    static func bandwidth(bytesPerSecond: Int, _ d: Direction) -> any LinkFault { Bandwidth(links: every, bytesPerSecond: bytesPerSecond, direction: d) }
    static func slicer(bytes: Int, delay: Duration, _ d: Direction) -> any LinkFault { Slicer(links: every, bytes: bytes, delay: delay, direction: d) }
    static func limitBytes(_ n: Int, _ d: Direction) -> any LinkFault { LimitBytes(links: every, bytes: n, direction: d) }
    static func injectError(_ message: String) -> any LinkFault { InjectError(links: every, message: message) }
    static func rewriteInfo(maxPayload: Int) -> any LinkFault { RewriteInfo(links: every, maxPayload: maxPayload) }
}

/// Durations as scenario files write them: `250ms`, `2s`, `1m30s`, `1.5s`.
public enum DurationText {
    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// What the file format allows, for error messages. The longest duration is whole nanoseconds in 64 bits, about 292 years.
    public static let allowed = "a duration is a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s, up to 2562047h"

    /// Parses a duration; returns nil when the text is not one (negative durations included) or is longer than 2^63 ns.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.nanoseconds
        }
        guard total < 0x1p63 else { return nil }
        return .nanoseconds(Int64(total.rounded()))
    }

    /// Formats a duration the way the file format writes it, choosing the largest exact unit.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns == 0 { return "0s" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating at Int64's range).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The whole duration in milliseconds, rounded down.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

import Foundation
import Plot

/// A chart as plain shapes in SVG user units, before it becomes markup: what tests measure, and what
/// `node` draws. The timeline and the message charts are both drawings.
public struct Drawing: Sendable, Hashable {
    public enum Shape: Sendable, Hashable {
        /// `link` makes it a link to an element of the page (`#check-3-1`).
        case rect(x: Double, y: Double, width: Double, height: Double, style: String, title: String? = nil, link: String? = nil)
        case line(x1: Double, y1: Double, x2: Double, y2: Double, style: String, title: String? = nil)
        case circle(x: Double, y: Double, r: Double, style: String, title: String? = nil)
        case text(x: Double, y: Double, String, style: String, title: String? = nil)

        /// The CSS classes it is drawn with (`span running`, `seen late`).
        public var style: String {
            switch self {
            case .rect(_, _, _, _, let s, _, _), .line(_, _, _, _, let s, _), .circle(_, _, _, let s, _), .text(_, _, _, let s, _): s
            }
        }

        /// Its hover text.
        public var title: String? {
            switch self {
            case .rect(_, _, _, _, _, let t, _), .line(_, _, _, _, _, let t), .circle(_, _, _, _, let t), .text(_, _, _, _, let t): t
            }
        }

        /// Where it begins and ends horizontally.
        public var xRange: ClosedRange<Double> {
            switch self {
            case .rect(let x, _, let w, _, _, _, _): x...(x + w)
            case .line(let x1, _, let x2, _, _, _): min(x1, x2)...max(x1, x2)
            case .circle(let x, _, let r, _, _): (x - r)...(x + r)
            case .text(let x, _, _, _, _): x...x
            }
        }
    }

    public var width: Double
    public var height: Double
    /// What the chart is, for screen readers.
    public var label: String
    public var shapes: [Shape] = []

    /// The shapes drawn with all of `classes` (a space-separated list) among their classes.
    public func shapes(_ classes: String) -> [Shape] {
        let wanted = Set(classes.split(separator: " "))
        return shapes.filter { wanted.isSubset(of: Set($0.style.split(separator: " "))) }
    }

    /// The drawing as inline SVG.
    var node: Node<HTML.BodyContext> {
        .element(named: "svg", nodes: [
            .attribute(named: "viewBox", value: "0 0 \(Self.number(width)) \(Self.number(height))"),
            .attribute(named: "width", value: Self.number(width)),
            .attribute(named: "role", value: "img"),
            .attribute(named: "aria-label", value: label.htmlEscaped),
            .group(shapes.map(Self.node)),
        ])
    }

    private static func node(_ shape: Shape) -> Node<HTML.BodyContext> {
        func element(_ name: String, _ attributes: [(String, Double)], _ style: String, _ title: String?, text: String? = nil) -> Node<HTML.BodyContext> {
            .element(named: name, nodes: attributes.map { .attribute(named: $0.0, value: number($0.1)) }
                + [.attribute(named: "class", value: style)]
                + (title.map { [.element(named: "title", nodes: [.raw($0.htmlEscaped)])] } ?? [])
                + (text.map { [.raw($0.htmlEscaped)] } ?? []))
        }
        switch shape {
        case .rect(let x, let y, let w, let h, let style, let title, let link):
            let rect = element("rect", [("x", x), ("y", y), ("width", max(w, 1)), ("height", h)], style, title)
            return link.map { .element(named: "a", nodes: [.attribute(named: "href", value: $0.htmlEscaped), rect]) } ?? rect
        case .line(let x1, let y1, let x2, let y2, let style, let title):
            return element("line", [("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)], style, title)
        case .circle(let x, let y, let r, let style, let title):
            return element("circle", [("cx", x), ("cy", y), ("r", r)], style, title)
        case .text(let x, let y, let text, let style, let title):
            return element("text", [("x", x), ("y", y)], style, title, text: text)
        }
    }

    /// A coordinate with at most one decimal: enough on screen, and short on a page with many shapes.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let whole = "\(tenths < 0 ? "-" : "")\(abs(tenths) / 10)"
        return tenths % 10 == 0 ? whole : "\(whole).\(abs(tenths) % 10)"
    }
}

/// The horizontal scale a run's charts share, so that its timeline and message charts line up: a column of
/// labels, then the run's time from `fromNs` to `toNs`.
public struct ChartScale: Sendable, Hashable {
    public static let labelWidth = 170.0
    public static let plotWidth = 1000.0
    public var fromNs: Int64
    public var toNs: Int64

    public init(fromNs: Int64, toNs: Int64) {
        self.fromNs = fromNs
        self.toNs = max(toNs, fromNs + 1)
    }

    public var width: Double { Self.labelWidth + Self.plotWidth + 10 }

    /// Where time `ns` (from the timeline's start) is drawn.
    public func x(_ ns: Int64) -> Double {
        Self.labelWidth + Double(ns - fromNs) / Double(toNs - fromNs) * Self.plotWidth
    }

    /// Round times to label, no more than a dozen.
    public var ticks: [Int64] {
        let steps: [Int64] = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000].map { $0 * 1_000_000 }
        let step = steps.first(where: { (toNs - fromNs) / $0 <= 12 }) ?? steps[steps.count - 1]
        let first = (fromNs / step) * step
        return stride(from: first, through: toNs, by: Int(step)).filter { $0 >= fromNs }
    }

    /// A round time as short as it goes: `+1s`, `+1.5s`, `-0.2s`.
    static func tickLabel(_ ns: Int64) -> String {
        var text = String(format: "%.1f", Double(ns) / 1e9)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return (ns > 0 ? "+" : "") + text + "s"
    }

    /// The vertical grid and the time labels, over `height`, with labels at `labelY`.
    func grid(height: Double, labelY: Double) -> [Drawing.Shape] {
        ticks.flatMap { t -> [Drawing.Shape] in
            [.line(x1: x(t), y1: 0, x2: x(t), y2: height, style: t == 0 ? "grid origin" : "grid"),
             .text(x: x(t) + 2, y: labelY, t == 0 ? "start" : Self.tickLabel(t), style: "tick")]
        }
    }
}

extension String {
    /// The text with `&`, `<`, `>` and `"` replaced by their entities: safe as element text and inside a
    /// double-quoted attribute (Plot writes attribute values as they are). Faster than Plot's own escaping, for the
    /// long texts of a page (logs, scenario files).
    var htmlEscaped: String {
        let special: Set<UInt8> = [UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\"")]
        guard utf8.contains(where: special.contains) else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 64)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

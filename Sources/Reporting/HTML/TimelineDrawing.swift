extension TimelineChart {
    static let axisHeight = 22.0
    static let laneHeight = 28.0

    /// The scale that shows the whole chart.
    public var scale: ChartScale { ChartScale(fromNs: fromNs, toNs: toNs) }

    /// The chart drawn: the time axis, then each lane's spans, marks and expectation windows.
    ///
    /// - Parameter checkLink: the page anchor of the check a window belongs to, by its position in the run's checks.
    public func drawing(checkLink: (Int) -> String = { "#check-\($0)" }) -> Drawing {
        let scale = self.scale
        let height = Self.axisHeight + Double(lanes.count) * Self.laneHeight + 4
        var shapes = scale.grid(height: height, labelY: 14)
        if let teardownNs {
            shapes.append(.line(x1: scale.x(teardownNs), y1: 0, x2: scale.x(teardownNs), y2: height, style: "teardown",
                                title: "the timeline ended at \(Self.time(teardownNs)); what follows is teardown"))
        }
        for (i, lane) in lanes.enumerated() {
            let top = Self.axisHeight + Double(i) * Self.laneHeight
            let name = lane.kind == .fault ? lane.name : "\(lane.kind.rawValue) \(lane.name)"
            shapes.append(.rect(x: 0, y: top, width: scale.width, height: Self.laneHeight, style: "lane \(lane.kind.rawValue) \(i % 2 == 0 ? "even" : "odd")"))
            shapes.append(.text(x: 4, y: top + 18, name.count > 26 ? String(name.prefix(25)) + "…" : name, style: "lane-label", title: name))
            for span in lane.spans {
                shapes.append(.rect(x: scale.x(span.fromNs), y: top + 7, width: scale.x(span.toNs) - scale.x(span.fromNs), height: 14,
                                    style: "span \(span.state.rawValue)",
                                    title: "\(name): \(span.state.rawValue) \(Self.time(span.fromNs)) → \(Self.time(span.toNs)) — \(span.label)"))
            }
            var lastLabelX = -Double.infinity
            for mark in lane.marks {
                let x = scale.x(mark.atNs)
                let title = "\(Self.time(mark.atNs)) \(mark.detail)"
                shapes.append(.line(x1: x, y1: top + 3, x2: x, y2: top + Self.laneHeight - 3, style: "mark \(mark.kind.rawValue)", title: title))
                shapes.append(.circle(x: x, y: top + 5, r: 3, style: "mark \(mark.kind.rawValue)", title: title))
                if x - lastLabelX > 60 {
                    // Near the right edge the label goes left of its mark, so that it is not cut off.
                    let atEnd = x > scale.width - 80
                    shapes.append(.text(x: atEnd ? x - 6 : x + 4, y: top + 11, mark.label, style: "mark-label \(mark.kind.rawValue)\(atEnd ? " end" : "")", title: title))
                    lastLabelX = x
                }
            }
            for window in lane.windows {
                let verdict = window.passed ? "passed" : "failed"
                let x = scale.x(window.opensNs)
                shapes.append(.line(x1: scale.x(window.anchorNs), y1: top + 2, x2: x, y2: top + 2, style: "anchor \(verdict)",
                                    title: "measured from \(Self.time(window.anchorNs))"))
                let cut = window.closesNs > toNs
                shapes.append(.rect(x: x, y: top + 2, width: scale.x(min(window.closesNs, toNs)) - x, height: Self.laneHeight - 4,
                                    style: "window \(verdict)\(cut ? " cut" : "")",
                                    title: "\(window.passed ? "✓" : "✗") \(window.label): window \(Self.time(window.opensNs)) … \(Self.time(window.closesNs))"
                                        + (cut ? " (closes after the run's end)" : ""),
                                    link: checkLink(window.check)))
                for seen in window.seenNs {
                    let outside = window.isOutside(seen)
                    shapes.append(.circle(x: scale.x(seen), y: top + Self.laneHeight / 2, r: outside ? 5 : 4, style: outside ? "seen outside" : "seen",
                                          title: "seen at \(Self.time(seen))" + (outside ? ", outside the window \(Self.time(window.opensNs)) … \(Self.time(window.closesNs))" : "")))
                }
            }
        }
        return Drawing(width: scale.width, height: height, label: "timeline: \(lanes.count) lanes", shapes: shapes)
    }
}

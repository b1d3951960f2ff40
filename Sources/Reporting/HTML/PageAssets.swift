import Plot

/// The report page's inline style, script and timeline legend: the page needs nothing from the network.
enum PageAssets {
    static let css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; } h3 { font-size: 15px; margin: 14px 0 6px; }
        a { color: #1456a0; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
        table.matrix td { min-width: 120px; max-width: 320px; }
        td.pass { background: #e5f5e5; } td.fail { background: #fbdada; } td.flaky { background: #fdebc8; }
        td.error { background: #f3d0f0; } td.skip { background: #eee; color: #555; }
        td.differs { background: #e8eefa; } td.gone { background: #fdebc8; }
        td.pass a, td.skip a { color: inherit; text-decoration: none; }
        td.fail a, td.error a, td.flaky a { color: #a00; }
        .reason { font-size: 12px; color: #444; }
        section.run { border-top: 1px solid #ddd; padding: 6px 0; }
        section.run > details > summary { font-size: 16px; cursor: pointer; padding: 4px 0; }
        .badge { font-weight: bold; padding: 1px 6px; border-radius: 3px; color: #fff; background: #666; }
        .badge.passed { background: #2e7d32; } .badge.failed { background: #c62828; } .badge.error { background: #8e24aa; }
        .time { color: #777; font-size: 13px; }
        .replay code, pre { background: #f6f6f6; padding: 2px 4px; }
        .chart { overflow-x: auto; }
        svg { display: block; font: 11px system-ui, sans-serif; }
        svg .lane.even { fill: #fafafa; } svg .lane.odd { fill: #f0f0f0; }
        svg .grid { stroke: #ddd; } svg .grid.origin { stroke: #888; stroke-dasharray: 3 2; }
        svg .teardown { stroke: #555; stroke-width: 1.5; stroke-dasharray: 6 3; } svg .window.cut { stroke-dasharray: 8 2 1 2; }
        svg .tick { fill: #777; font-size: 10px; } svg .lane-label { fill: #222; font-weight: 600; } svg .lane-label.sub { font-weight: normal; }
        .span.running, .span.connected, .key.running { fill: #81c784; background: #81c784; }
        .span.starting, .span.restarting, .span.reconnecting, .key.reconnecting { fill: #ffb74d; background: #ffb74d; }
        .span.stopping, .span.disconnected, .key.disconnected { fill: #e57373; background: #e57373; }
        .span.stopped, .span.closed, .key.closed { fill: #9e9e9e; background: #9e9e9e; }
        .span.paused, .key.paused { fill: #9575cd; background: #9575cd; }
        .span.lame-duck, .key.lame-duck { fill: #fff176; background: #fff176; }
        .span.in-effect, .key.in-effect { fill: #ef9a9a; background: #ef9a9a; }
        svg line.mark { stroke-width: 2; } svg .mark.fault { stroke: #6a1b9a; fill: #6a1b9a; } svg .mark.error { stroke: #c62828; fill: #c62828; }
        svg .mark.notice { stroke: #ef6c00; fill: #ef6c00; } svg .mark.heal { stroke: #2e7d32; fill: #2e7d32; } svg .mark.exit { stroke: #000; fill: #000; }
        svg .mark-label { font-size: 10px; } svg .mark-label.end { text-anchor: end; } svg .mark-label.fault { fill: #6a1b9a; } svg .mark-label.error { fill: #c62828; }
        svg .mark-label.notice { fill: #ef6c00; } svg .mark-label.heal { fill: #2e7d32; }
        svg .window { stroke-width: 2; } svg .window.passed { fill: rgba(46,125,50,.10); stroke: #2e7d32; }
        svg .window.failed { fill: rgba(198,40,40,.15); stroke: #c62828; stroke-dasharray: 5 3; }
        svg .anchor { stroke-width: 1; stroke-dasharray: 2 2; } svg .anchor.passed { stroke: #2e7d32; } svg .anchor.failed { stroke: #c62828; }
        svg .seen { fill: #1565c0; stroke: #fff; } svg .seen.outside { fill: #c62828; stroke: #000; stroke-width: 1.5; }
        svg .published, .key.published { fill: #90caf9; background: #90caf9; } svg .received, .key.received { fill: #2e7d32; background: #2e7d32; }
        svg .lost, .key.lost { fill: #d50000; background: #d50000; } svg .outage, .key.outage { fill: rgba(239,83,80,.18); stroke: rgba(198,40,40,.5); stroke-dasharray: 4 3; background: rgba(239,83,80,.25); }
        svg .baseline { stroke: #999; } svg .outage { pointer-events: none; } svg .outage.band { pointer-events: auto; fill: rgba(198,40,40,.6); stroke: none; }
        .legend { font-size: 12px; color: #444; } .key { display: inline-block; width: 12px; height: 10px; margin: 0 3px 0 8px; }
        .key.window-passed { border: 2px solid #2e7d32; } .key.window-failed { border: 2px dashed #c62828; }
        .key.seen { border-radius: 6px; background: #1565c0; } .key.seen-outside { border-radius: 6px; background: #c62828; }
        p.lost { color: #c62828; }
        table.checks tr.failed td { background: #fdeaea; } table.checks tr:target td { outline: 2px solid #1456a0; }
        section.source pre { line-height: 1.35; }
        .line { display: block; } .line .n { display: inline-block; width: 3em; color: #999; user-select: none; }
        .line.failed { background: #fdeaea; } .line:target { background: #fff3a0; outline: 1px solid #e0b000; }
        input.log-filter { width: 320px; margin: 6px 0; }
        pre.log { max-height: 360px; overflow: auto; font-size: 12px; }
        """

    /// Filters the log lines of a run as one types, and opens the folded section a link points into.
    static let script = """
        document.querySelectorAll('input.log-filter').forEach(function (input) {
          input.addEventListener('input', function () {
            var wanted = input.value.toLowerCase();
            input.parentElement.querySelectorAll('pre.log').forEach(function (pre) {
              if (pre.dataset.all === undefined) pre.dataset.all = pre.textContent;
              pre.textContent = pre.dataset.all.split('\\n').filter(function (line) {
                return line.toLowerCase().indexOf(wanted) >= 0;
              }).join('\\n');
            });
          });
        });
        function openTarget() {
          var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
          for (var e = target; e; e = e.parentElement) if (e.tagName === 'DETAILS') e.open = true;
          if (target) target.scrollIntoView();
        }
        window.addEventListener('hashchange', openTarget);
        openTarget();
        """

    /// What the timeline's colours and marks mean.
    static var legend: Node<HTML.BodyContext> {
        let keys: [(String, String)] = [
            ("running", "running / connected"), ("reconnecting", "starting, restarting / reconnecting"),
            ("disconnected", "stopping / disconnected"), ("closed", "stopped / closed"), ("paused", "paused"),
            ("lame-duck", "lame duck"), ("in-effect", "fault in effect"), ("window-passed", "expectation window, passed"),
            ("window-failed", "expectation window, failed"), ("seen", "matching event"), ("seen-outside", "matching event outside its window"),
        ]
        return .p(.class("legend"), .forEach(keys) { key, text in .group(.span(.class("key \(key)")), .text(text)) })
    }
}

import NATSFaultReporting
import Testing

/// The text `natsfault conformance` prints: a heading, a line per check with aligned names, a summary.
struct ConformanceReportTests {
    @Test func aLinePerCheckAlignedThenTheCounts() {
        let report = ConformanceReport(driver: "skewed", library: "nats.go 1.22.1", server: "2.15.1", checks: [
            ConformanceCheck(name: "handshake", verdict: .pass, detail: "hello after 3.1 ms"),
            ConformanceCheck(name: "no responders", verdict: .fail, detail: "expected error kind no_responders, got nobody_home\nsecond line"),
            ConformanceCheck(name: "exit op", verdict: .notRun, detail: "the driver did not start a second time"),
        ])
        #expect(report.lines == [
            "Conformance of driver skewed (nats.go 1.22.1) to DRIVER-PROTOCOL v1, against nats-server 2.15.1",
            "PASS  handshake      hello after 3.1 ms",
            "FAIL  no responders  expected error kind no_responders, got nobody_home\n                     second line",
            "----  exit op        the driver did not start a second time",
            "3 checks: 1 passed, 1 failed, 1 not run",
        ])
        #expect(!report.passed)
    }

    @Test func passedNeedsAtLeastOneCheckAndEveryCheckPassing() {
        #expect(!ConformanceReport(driver: "c", server: "2.9.10", checks: []).passed)
        #expect(ConformanceReport(driver: "c", server: "2.9.10", checks: [ConformanceCheck(name: "output", verdict: .pass, detail: "")]).passed)
        #expect(ConformanceReport(driver: "c", server: "2.9.10", checks: []).lines.first == "Conformance of driver c to DRIVER-PROTOCOL v1, against nats-server 2.9.10")
    }
}

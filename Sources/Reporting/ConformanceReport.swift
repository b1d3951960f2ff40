import Foundation

/// One check of `natsfault conformance`.
public struct ConformanceCheck: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable {
        case pass = "PASS"
        case fail = "FAIL"
        /// Not run, because a check it builds on failed.
        case notRun = "----"
    }

    public var name: String
    public var verdict: Verdict
    public var detail: String

    public init(name: String, verdict: Verdict, detail: String) {
        self.name = name
        self.verdict = verdict
        self.detail = detail
    }
}

/// What `natsfault conformance` found about one driver, and the text it prints.
public struct ConformanceReport: Sendable {
    public var driver: String
    /// `nats.go 1.22.1`, from the driver's hello.
    public var library: String?
    public var server: String
    public var checks: [ConformanceCheck]

    public init(driver: String, library: String? = nil, server: String, checks: [ConformanceCheck]) {
        self.driver = driver
        self.library = library
        self.server = server
        self.checks = checks
    }

    public var passed: Bool { !checks.isEmpty && checks.allSatisfy { $0.verdict == .pass } }

    /// The report as console lines: a heading, a line per check, a summary.
    public var lines: [String] {
        var lines = ["Conformance of driver \(driver)\(library.map { " (\($0))" } ?? "") to DRIVER-PROTOCOL v1, against nats-server \(server)"]
        let width = checks.map(\.name.count).max() ?? 0
        for check in checks {
            let detail = check.detail.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width + 8))
            lines.append("\(check.verdict.rawValue)  \(check.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(detail)")
        }
        let failed = checks.filter { $0.verdict == .fail }.count, notRun = checks.filter { $0.verdict == .notRun }.count
        lines.append("\(checks.count) checks: \(checks.count - failed - notRun) passed, \(failed) failed, \(notRun) not run")
        return lines
    }
}

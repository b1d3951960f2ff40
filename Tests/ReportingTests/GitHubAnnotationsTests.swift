import NATSFaultReporting
import NATSFaultScenario
import NATSFaultTimeline
import Testing

/// `--annotations github`: one `::error` workflow command per failing place of a scenario file.
struct GitHubAnnotationsTests {
    static func run(_ client: String, _ outcome: ScenarioResult.Outcome, checks: [Check] = [], reason: String? = nil) -> ScenarioResult {
        ScenarioResult(scenario: "crash", file: "/repo/scenarios/crash.yaml", description: "", client: client, serverVersion: "2.15.1",
                       outcome: outcome, reason: reason, checks: checks)
    }

    static func check(_ passed: Bool, line: Int, observed: String) -> Check {
        var check = Check(passed: passed, expected: "app: reconnected at least 1 times within 3s", observed: observed, location: "/repo/scenarios/crash.yaml:\(line):5")
        check.source = SourceLocation(file: "/repo/scenarios/crash.yaml", line: line, column: 5)
        return check
    }

    @Test func aCheckFailingForSeveralRunsIsOneAnnotationOnItsLine() {
        let lines = GitHubAnnotations.lines([
            Self.run("c", .failed, checks: [Self.check(true, line: 12, observed: "1"), Self.check(false, line: 13, observed: "none")]),
            Self.run("go", .failed, checks: [Self.check(false, line: 13, observed: "1 at +9000ms, after the window")]),
            Self.run("python", .passed, checks: [Self.check(true, line: 13, observed: "1")]),
        ], directory: "/repo")
        #expect(lines == ["::error file=scenarios/crash.yaml,line=13,col=5,title=natsfault%3A crash::expected app: reconnected at least 1 times within 3s"
                          + "%0Ac × nats-server 2.15.1: observed none%0Ago × nats-server 2.15.1: observed 1 at +9000ms, after the window"])
    }

    /// A run that could not be carried out has no failing check: its file, with the reason.
    @Test func anErrorIsAnnotatedOnItsFileWithItsReason() {
        let lines = GitHubAnnotations.lines([Self.run("c", .error, reason: "nats-server would not start: 100% of\nthe port")], directory: "/elsewhere")
        #expect(lines == ["::error file=/repo/scenarios/crash.yaml,title=natsfault%3A crash::could not be carried out%0Ac × nats-server 2.15.1: nats-server would not start: 100%25 of the port"], "the reason in one line, % encoded")
    }

    /// A check that failed as a declared known difference does not fail the run: nothing to annotate.
    @Test func passedSkippedAndDeclaredDifferencesAreNotAnnotated() {
        var differing = Self.check(false, line: 13, observed: "none")
        differing.difference = DifferenceMark(finding: "F1", reason: "retries its first connect", gone: false)
        #expect(GitHubAnnotations.lines([Self.run("python", .differs, checks: [differing]), Self.run("c", .skipped, reason: "not for c"),
                                         Self.run("go", .passed)]).isEmpty)
    }
}

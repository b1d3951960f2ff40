import NATSFaultReporting
import NATSFaultTimeline
import Testing

struct MatrixTests {
    static func result(_ scenario: String, _ client: String, _ server: String, _ outcome: ScenarioResult.Outcome, reason: String? = nil, checks: [Check] = []) -> ScenarioResult {
        ScenarioResult(scenario: scenario, file: "scenarios/\(scenario).yaml", description: "", client: client, serverVersion: server,
                       outcome: outcome, reason: reason, wallSeconds: 1, checks: checks)
    }

    static let results = [
        result("restart", "c", "2.9.10", .passed), result("restart", "c", "2.15.1", .passed),
        result("restart", "python", "2.9.10", .failed, checks: [
            Check(passed: true, expected: "disconnected", observed: "1"),
            Check(passed: false, expected: "app: reconnected at least 1 time within 3s", observed: "none\nat all"),
        ]),
        result("restart", "python", "2.15.1", .passed),
        result("service-down", "c", "2.9.10", .skipped, reason: "client app's driver (nats.c 3.4.1) lacks the capability \"service\""),
        result("service-down", "c", "2.15.1", .skipped, reason: "client app's driver (nats.c 3.4.1) lacks the capability \"service\""),
        result("service-down", "python", "2.9.10", .error, reason: "driver python stopped answering | stderr: boom"),
        result("service-down", "python", "2.15.1", .passed),
    ]

    /// Every cell names its verdict; every run that did not pass gets one numbered line with its first failed check or reason.
    @Test func markdownShowsEveryCellAndAReasonForEachNonPass() {
        let md = Matrix(Self.results).markdown()
        let expected = """
        | scenario | c × 2.9.10 | c × 2.15.1 | python × 2.9.10 | python × 2.15.1 |
        |---|---|---|---|---|
        | restart | pass | pass | FAIL [1] | pass |
        | service-down | skip [2] | skip [3] | ERROR [4] | pass |

        1. **restart**, python × nats-server 2.9.10, FAIL: expected app: reconnected at least 1 time within 3s; observed none at all
        2. **service-down**, c × nats-server 2.9.10, skip: client app's driver (nats.c 3.4.1) lacks the capability "service"
        3. **service-down**, c × nats-server 2.15.1, skip: client app's driver (nats.c 3.4.1) lacks the capability "service"
        4. **service-down**, python × nats-server 2.9.10, ERROR: driver python stopped answering \\| stderr: boom

        """
        #expect(md == expected)
    }

    @Test func consoleListsTheSameReasons() {
        let text = Matrix(Self.results).console()
        #expect(text.contains("restart       pass        pass        FAIL [1]         pass"))
        #expect(text.contains("[4] service-down, python × 2.9.10, ERROR: driver python stopped answering | stderr: boom"))
        #expect(Matrix.reason(Self.results[0]) == nil)
    }
}

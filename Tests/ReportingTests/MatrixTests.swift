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
        | scenario | c × 2.9.10 | python × 2.9.10 | c × 2.15.1 | python × 2.15.1 |
        |---|---|---|---|---|
        | restart | pass | FAIL [1] | pass | pass |
        | service-down | skip [2] | ERROR [3] | skip [4] | pass |

        1. **restart**, python × nats-server 2.9.10, FAIL: expected app: reconnected at least 1 time within 3s; observed none at all
        2. **service-down**, c × nats-server 2.9.10, skip: client app's driver (nats.c 3.4.1) lacks the capability "service"
        3. **service-down**, python × nats-server 2.9.10, ERROR: driver python stopped answering \\| stderr: boom
        4. **service-down**, c × nats-server 2.15.1, skip: client app's driver (nats.c 3.4.1) lacks the capability "service"

        """
        #expect(md == expected)
    }

    /// Columns are grouped by server version, sorted as numbers (2.9 before 2.10 before 2.15), whatever order the
    /// runs came in.
    @Test func serversAreGroupedByVersionInNumericOrder() {
        let results = ["2.15.1", "2.10.26", "2.9.10"].flatMap { v in ["c", "go"].map { Self.result("restart", $0, v, .passed) } }
        let matrix = Matrix(results)
        #expect(matrix.servers == ["2.9.10", "2.10.26", "2.15.1"])
        #expect(matrix.columns.map { "\($0.client) × \($0.server)" } == ["c × 2.9.10", "go × 2.9.10", "c × 2.10.26", "go × 2.10.26", "c × 2.15.1", "go × 2.15.1"])
    }

    @Test func consoleListsTheSameReasons() {
        let text = Matrix(Self.results).console()
        #expect(text.contains("restart       pass        FAIL [1]         pass        pass"), "\(text)")
        #expect(text.contains("[3] service-down, python × 2.9.10, ERROR: driver python stopped answering | stderr: boom"))
        #expect(Matrix.reason(Self.results[0]) == nil)
    }
}

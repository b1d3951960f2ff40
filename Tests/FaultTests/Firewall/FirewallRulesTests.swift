@testable import NATSFaultScenario
import Testing

struct FirewallRulesTests {
    @Test func rulesOnAServersPortBothWays() async throws {
        let fault = try fault("firewall: {action: reject, direction: both, server: b, for: 1s}")
        #expect(fault.reportedName == "firewall_reject" && fault.lasting == .untilHealed(for: .seconds(1)))
        #expect(try await effects(of: fault, healing: true) == [
            "add reject tcp in port 4222 to 127.0.0.2; reject tcp out port 4222 from 127.0.0.2",
            "remove reject tcp in port 4222 to 127.0.0.2; reject tcp out port 4222 from 127.0.0.2",
        ])
    }

    @Test func rulesStayInsideTheSandbox() {
        #expect(error("firewall: {action: drop, source: 10.0.0.1}")?.contains("10.0.0.1 is outside the sandbox") == true)
        #expect(error("firewall: {action: drop}")?.contains("a firewall rule needs \"server\", \"port\", \"source\" or \"destination\"") == true)
    }
}

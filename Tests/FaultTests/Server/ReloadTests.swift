@testable import NATSFaultScenario
import Testing

struct ReloadTests {
    @Test func rewritesTheConfigurationAndSignals() async throws {
        let fault = try fault("reload: {server: a, users: [{user: u, password: p}], max_connections: 3}")
        #expect(try await effects(of: fault) == ["reload a users [\"u\"] max_connections 3"])
    }

    @Test func aReloadMustChangeSomething() {
        #expect(error("reload: {server: a}")?.contains("a reload changes something; allowed: users, max_connections") == true)
    }
}

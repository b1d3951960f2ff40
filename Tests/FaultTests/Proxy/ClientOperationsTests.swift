@testable import NATSFaultScenario
import Testing

/// Which timelines make the proxy parse what clients send: only those with a fault that filters it.
struct ClientOperationsTests {
    @Test(arguments: [
        ("proxy: {fault: drop_pongs}", true),
        ("proxy: {fault: drop_pings, direction: to_server}", true),
        ("proxy: {fault: drop_pings, direction: to_client}", false),
        ("proxy: {fault: latency, latency: 10ms}", false),
        ("restart: a", false),
    ])
    func onlyFaultsOnTheClientsOperationsNeedThemParsed(step: String, filters: Bool) throws {
        #expect(try scenario(step: step).filtersClientOperations == filters)
    }
}

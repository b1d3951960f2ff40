@testable import NATSFaultScenario
import Testing

struct PartitionTests {
    @Test func cutsTheRouteLinksBothWays() async throws {
        let fault = try fault("partition: {servers: a}")
        #expect(fault.description == "partition (drop): a cut off from b")
        #expect(try await effects(of: fault) == [
            "add drop tcp in to 127.2.1.2; drop tcp in from 127.2.1.2; drop tcp in to 127.2.2.1; drop tcp in from 127.2.2.1",
        ])
    }

    @Test func aServerCannotBeOnBothSides() {
        #expect(error("partition: {servers: a, from: a}")?.contains("server a is on both sides of the partition") == true)
    }
}

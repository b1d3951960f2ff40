@testable import NATSFaultScenario
import Testing

struct CutTests {
    @Test func cutsOneClientLink() async throws {
        let fault = try fault("cut: {client: svc, server: a, action: reject}")
        #expect(fault.description == "cut (reject): client svc off server a")
        #expect(try await effects(of: fault) == ["add reject tcp in to 127.1.2.1; reject tcp in from 127.1.2.1"])
    }

    @Test func aDirectClientHasNoLinkToCut() {
        #expect(error("cut: {client: direct, server: a}")?.contains("client direct has link: direct") == true)
    }
}

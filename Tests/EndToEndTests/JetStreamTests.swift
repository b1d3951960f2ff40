import Foundation
import NATSFaultTimeline
import Testing

/// JetStream runs with the real drivers and real nats-servers: the `jetstream` assertion catches a consumer that loses
/// acknowledged messages, and a driver without JetStream is skipped with the reason.
///
/// Part of the serialized end-to-end suite: these tests block a thread while natsfault runs, and a second suite of
/// them beside it would hold both of a 2-core machine's cooperative threads, starving every async test meanwhile.
extension EndToEndTests {
    static let jsFixture = fixtures.appendingPathComponent("js-consumer.yaml").path
    static var builtDrivers: String { root.appendingPathComponent(".build/drivers").path }

    /// The same scenario passes with the real go and python drivers, and fails with their mutant that acknowledges each
    /// message before processing it and drops every 100th: five of 500 acknowledged messages are lost, by number.
    @Test(arguments: [("go", "natsfault-driver-go"), ("python", "natsfault-driver-python")])
    func aConsumerThatAcknowledgesBeforeProcessingAndDropsMessagesIsCaught(_ driver: String, _ executable: String) throws {
        let real = try EndToEndTests.runWithResults(["run", Self.jsFixture, "--client", driver, "--server", "2.15"])
        #expect(real.outcome.status == 0, "\(real.outcome.output)")
        let mutant = "\(Self.builtDrivers)/\(executable) --mutant js-ack-before-process"
        let (outcome, runs) = try EndToEndTests.runWithResults(["run", Self.jsFixture, "--driver", "\(driver)=\(mutant)", "--client", driver, "--server", "2.15"])
        #expect(outcome.status == 1, "\(outcome.output)")
        let run = try EndToEndTests.only(runs, client: driver)
        #expect(run.outcome == .failed)
        let check = try #require(run.checks.first { $0.expected.contains("JetStream stream WORK") })
        #expect(!check.passed)
        #expect(check.observed.contains("acknowledged but lost 5 (seqs 100, 200, 300, 400, 500)"), "\(check.observed)")
    }

    /// A driver whose hello lacks the capability `jetstream` (a DRIVER-PROTOCOL 1.0 driver) is skipped, with the reason.
    @Test func aDriverWithoutJetStreamIsSkippedWithTheReason() throws {
        let v1 = EndToEndTests.fixtures.appendingPathComponent("drivers/protocol-1.0").path
        let (outcome, runs) = try EndToEndTests.runWithResults(["run", Self.jsFixture, "--driver", "old=\(v1)", "--client", "old", "--server", "2.15"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let run = try EndToEndTests.only(runs, client: "old")
        #expect(run.outcome == .skipped)
        #expect(run.reason?.contains("lacks the capability \"jetstream\"") == true, "\(run.reason ?? "")")
    }
}

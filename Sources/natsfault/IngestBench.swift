import ArgumentParser
import Foundation
import NATSFaultRunner

/// Times how fast the harness takes in driver events, for scripts/bench; prints one JSON object.
struct IngestBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_ingest-bench", shouldDisplay: false)

    @Option(help: "A driver name or command; without it, a stand-in driver that writes its events at once.") var driver: String?
    @Option(help: "Events (stand-in) or messages (real driver).") var count = 100_000
    @Option(help: "The nats-server for a real driver: a version prefix or a path.") var server: String?

    func run() async throws {
        let measurement = try await IngestBench.measure(driver: driver, count: count, server: server)
        printLine(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }
}

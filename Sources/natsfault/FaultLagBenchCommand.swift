import ArgumentParser
import Foundation
import NATSFaultRunner

/// Times how late faults take effect, for scripts/bench; prints the lags in nanoseconds as one JSON line.
struct FaultLagBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_fault-lag-bench", shouldDisplay: false)

    @Option(help: "Applications of each fault.") var rounds = 200
    @Option(help: "The nats-server binary to signal.") var serverBinary: String

    func run() async throws {
        let lags = try await FaultLagBench.measure(rounds: rounds, serverBinary: serverBinary)
        printLine(String(decoding: try JSONSerialization.data(withJSONObject: lags), as: UTF8.self))
    }
}

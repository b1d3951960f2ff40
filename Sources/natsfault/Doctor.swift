import ArgumentParser
import Foundation
import Logging
import NATSFaultRunner

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Say what is installed and what is missing, with the command that installs it.")

    func run() async throws {
        let report = await DoctorReport.make()
        printLine(report.text)
        try finish(report.canRun ? .passed : .environment)
    }
}

/// The libiptc round trip, run by `doctor` inside a fresh sandbox; not for users.
struct FirewallRoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_firewall-roundtrip", shouldDisplay: false)

    func run() async throws {
        let (passed, lines) = FirewallCheck.run()
        for line in lines { printLine(line) }
        if !passed { throw ExitCode(1) }
    }
}

/// Times firewall changes for scripts/bench, inside the namespace it is run in (never the host's:
/// it refuses to run without its own network namespace, as an `unshare --net` gives).
struct FirewallBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_firewall-bench", shouldDisplay: false)

    @Option(help: "Rule changes to time.") var rounds = 200

    func run() async throws {
        guard FirewallCheck.inOwnNetworkNamespace() else {
            printLine("_firewall-bench: run it in a fresh network namespace (unshare --user --map-root-user --net)")
            throw ExitCode(3)
        }
        let (add, remove, addSet, removeSet) = try FirewallCheck.time(rounds: rounds)
        let json: [String: [Int64]] = ["add_ns": add, "remove_ns": remove, "add_set_ns": addSet, "remove_set_ns": removeSet]
        printLine(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }
}

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

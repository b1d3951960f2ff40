import ArgumentParser
import Foundation
import NATSFaultRunner

/// Times firewall changes for scripts/bench, inside the namespace it is run in (never the host's:
/// it refuses to run without its own network namespace, as an `unshare --net` gives).
struct FirewallBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_firewall-bench", shouldDisplay: false)

    @Option(help: "Rule changes to time.") var rounds = 200

    func run() async throws {
        guard FirewallCheck.inOwnNetworkNamespace() else {
            console.problem("_firewall-bench: run it in a fresh network namespace (unshare --user --map-root-user --net)")
            throw ExitCode(3)
        }
        let (add, remove, addSet, removeSet) = try FirewallCheck.time(rounds: rounds)
        let lag = try await FaultLagBench.firewallLags(rounds: rounds)
        let json: [String: [Int64]] = ["add_ns": add, "remove_ns": remove, "add_set_ns": addSet, "remove_set_ns": removeSet, "lag_ns": lag]
        printLine(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }
}

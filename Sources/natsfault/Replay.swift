import ArgumentParser
import NATSFaultRunner

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry recorded runs out again with the same inputs (scenario, client, server binary, seed) and say whether each verdict came back.",
        discussion: "Exit codes: 0 every verdict reproduced, 1 one did not, 2 not natsfault results or no such case.")

    @Argument(help: "The results: the file of run --json, or a kept run's result.json.")
    var results: String

    @Option(name: .customLong("case"), help: ArgumentHelp("Replay the runs whose title (scenario [client × nats-server version]) contains this text or matches this glob, instead of the failed ones.", valueName: "pattern"))
    var pattern: String?

    func run() async throws {
        try finish(await Replayer.run(results, case: pattern, console: console))
    }
}

import ArgumentParser
import Foundation
import NATSFaultDrivers
import NATSFaultReporting
import NATSFaultRunner

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run scenario files (or folders of them) and report verdicts.")

    @OptionGroup var scenarioPaths: ScenarioPaths

    @Option(help: "The client drivers for clients that do not name one, comma-separated (c, go, python); each scenario runs with each.")
    var client: String = "c"

    @OptionGroup var drivers: DriverDefinitions<DriverOption>

    @Option(help: "The nats-servers to run against, comma-separated, each a version prefix of an installed one (2.9, 2.15.1) or a binary path.")
    var server: String?

    @Option(help: "A nats-server binary to run against; repeat to run against several.")
    var serverBinary: [String] = []

    @Flag(help: "Run against every installed nats-server version.")
    var allServers = false

    @OptionGroup var reports: ReportOptions

    @OptionGroup var annotations: AnnotationOptions

    @Option(help: "Which runs leave their folder under RESULTS/runs/ (full server and driver logs, driver transcripts, configs, the scenario, result.json): failed, all or none.")
    var keep: String = KeepPolicy.failed.rawValue

    @Option(name: .customLong("results"), help: ArgumentHelp("The folder kept runs go under (RESULTS/runs/<scenario>/<client>-<server>/).", valueName: "results"))
    var resultsFolder: String = "results"

    @Option(help: "The seed every run's seed is derived from (with its scenario, client, server and attempt); default: a random one, printed at the end.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("One seed for every run instead of derived ones: what a run's replay command passes.", visibility: .hidden))
    var runSeed: UInt64?

    // Counts are read unconditionally, so that `--jobs -1` is a count out of range, not an option named -1.
    @Option(name: .customLong("repeat"), parsing: .unconditional, help: ArgumentHelp("Run every scenario × client × server cell N times and report each cell's pass rate (FLAKY 3/5).", valueName: "n"))
    var repeats: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Run every cell up to N times, stopping it at its first failure: for chasing a rare one.", valueName: "n"))
    var untilFail: Int?

    @Flag(help: "Fail a run whose declared known difference did not happen (the check passed): the library may have changed.")
    var strict = false

    @Option(parsing: .unconditional, help: "How many scenarios run at once, each in its own sandbox (one at a time with --no-sandbox).")
    var jobs: Int = 1

    @Option(help: "Run only scenarios whose name contains this text, or matches this glob (*, ?).")
    var filter: String?

    @Option(help: ArgumentHelp("Run the K-th of N parts of the runs (scenario × client × server × repeat), for N machines of one CI job: the parts are disjoint, balanced by expected duration, the same on every machine.", valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Balance the shards by the wall times of this earlier run's --json results instead of the scenarios' declared timelines.", valueName: "results.json"))
    var durations: String?

    @OptionGroup var sandbox: SandboxOptions

    @OptionGroup var logging: LoggingOptions

    @Flag(name: .shortAndLong, help: "Print only the runs that fail and the summary.")
    var quiet = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be 1 or more, got \(jobs)") }
        guard jobs <= 64 else { throw ValidationError("--jobs must be 64 or less, got \(jobs)") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be 1 or more, got \(repeats)") }
        if let untilFail {
            guard untilFail >= 1 else { throw ValidationError("--until-fail must be 1 or more, got \(untilFail)") }
            guard repeats == 1 else { throw ValidationError("give --repeat or --until-fail, not both") }
        }
        guard KeepPolicy(rawValue: keep) != nil else {
            throw ValidationError("unknown --keep \"\(keep)\"; allowed: \(KeepPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let known = DriverCatalog.shipped.map(\.name) + drivers.names
        try Self.checkList("--client", client, allowed: known)
        for name in clients where !known.contains(name) {
            throw ValidationError("unknown --client \"\(name)\"; allowed: \(known.joined(separator: ", ")), comma-separated")
        }
        if let server { try Self.checkList("--server", server, allowed: nil) }
        guard [server != nil, !serverBinary.isEmpty, allServers].filter({ $0 }).count <= 1 else {
            throw ValidationError("give one of --server, --server-binary and --all-servers")
        }
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard must be K/N, whole numbers with 1 ≤ K ≤ N (--shard 2/4), got \"\(shard)\"")
        }
        if durations != nil, shard == nil { throw ValidationError("--durations balances shards; give it with --shard K/N") }
    }

    private var clients: [String] { Self.items(client) }

    /// The comma-separated items of a list option, trimmed.
    static func items(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A comma-separated list option names something, nothing empty, nothing twice.
    static func checkList(_ option: String, _ list: String, allowed: [String]?) throws {
        let items = items(list)
        let choices = allowed.map { "; give one or more of \($0.joined(separator: ", ")), comma-separated" } ?? ""
        guard !items.allSatisfy(\.isEmpty) else { throw ValidationError("\(option) is empty\(choices)") }
        guard !items.contains("") else { throw ValidationError("\(option) \"\(list)\" has an empty name between its commas") }
        if let twice = items.first(where: { name in items.filter { $0 == name }.count > 1 }) {
            throw ValidationError("\(option) \"\(list)\" names \(twice) twice")
        }
    }

    func run() async throws {
        drivers.apply()
        var options = RunOptions(paths: scenarioPaths.paths)
        options.clients = clients
        options.servers = server.map(Self.items) ?? []
        options.serverBinaries = serverBinary
        options.allServers = allServers
        options.jobs = jobs
        options.filter = filter
        options.sandbox = sandbox.sandbox
        options.logLevel = logging.level
        options.keep = KeepPolicy(rawValue: keep) ?? .failed
        options.results = resultsFolder
        options.seed = seed
        options.runSeed = runSeed
        options.repeats = repeats
        options.untilFail = untilFail
        options.strict = strict
        options.driverDefinitions = drivers.definitions
        options.shard = shard.flatMap(Shard.init)
        options.durations = durations
        try finish(await Suite.run(options, reporters: reports.reporters(console: console, quiet: quiet) + annotations.reporters(console: console),
                                   console: console))
    }
}

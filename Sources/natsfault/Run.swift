import ArgumentParser
import Logging
import NATSFaultRunner

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run scenario files (or folders of them) and report verdicts.")

    @Argument(help: "Scenario files or folders of them.")
    var paths: [String]

    @Option(help: "The client driver for clients that do not name one (c).")
    var client: String = "c"

    @Option(help: "A nats-server binary to run against; repeat to run against several.")
    var serverBinary: [String] = []

    @Flag(help: "Run against every installed nats-server version.")
    var allServers = false

    @Option(help: "Write JUnit XML here (a testcase per scenario × client × server).")
    var junit: String?

    @Option(help: "Write every event and fault with timestamps here, as JSON.")
    var json: String?

    @Option(help: "How many scenarios run at once, each in its own sandbox.")
    var jobs: Int = 1

    @Option(help: "Run only scenarios whose name contains this text, or matches this glob (*, ?).")
    var filter: String?

    @Flag(help: "Run on the host's loopback without namespaces (one scenario at a time).")
    var noSandbox = false

    @Option(help: "Log what the scenario runners do, on stderr: info (steps), debug (processes, driver commands), trace (every driver line).")
    var logLevel: String = "warning"

    func validate() throws {
        guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64, got \(jobs)") }
        guard ["c"].contains(client) || ["go", "python"].contains(client) else {
            throw ValidationError("unknown --client \"\(client)\"; allowed: c")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level \"\(logLevel)\"; allowed: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !(allServers && !serverBinary.isEmpty) else {
            throw ValidationError("give --all-servers or --server-binary, not both")
        }
    }

    func run() async throws {
        var options = RunOptions(paths: paths)
        options.client = client
        options.serverBinaries = serverBinary
        options.allServers = allServers
        options.junitPath = junit
        options.jsonPath = json
        options.jobs = jobs
        options.filter = filter
        options.sandbox = !noSandbox
        options.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        try finish(await Suite.run(options, print: { printLine($0) }))
    }
}

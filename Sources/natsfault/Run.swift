import ArgumentParser
import Logging
import Foundation
import NATSFaultDrivers
import NATSFaultRunner

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run scenario files (or folders of them) and report verdicts.")

    @Argument(help: "Scenario files or folders of them.")
    var paths: [String]

    @Option(help: "The client drivers for clients that do not name one, comma-separated (c, go, python); each scenario runs with each.")
    var client: String = "c"

    @Option(help: "A driver of your own, NAME=COMMAND (the command and its arguments, separated by spaces); repeat for several. Use it with --client NAME.")
    var driver: [String] = []

    @Option(help: "The nats-servers to run against, comma-separated, each a version prefix of an installed one (2.9, 2.15.1) or a binary path.")
    var server: String?

    @Option(help: "A nats-server binary to run against; repeat to run against several.")
    var serverBinary: [String] = []

    @Option(help: "Write the scenario × client × server matrix here, as Markdown, with a reason for each failure and skip.")
    var matrixMd: String?

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
        for definition in driver where DriverCatalog.parseDefinition(definition) == nil {
            throw ValidationError("--driver \"\(definition)\": expected NAME=COMMAND, e.g. java=./my-java-driver (NAME: letters, digits, - and _)")
        }
        let known = DriverCatalog.shipped.map(\.name) + driver.compactMap { DriverCatalog.parseDefinition($0)?.name }
        for name in clients where !known.contains(name) {
            throw ValidationError("unknown --client \"\(name)\"; allowed: \(known.joined(separator: ", ")), comma-separated")
        }
        guard [server != nil, !serverBinary.isEmpty, allServers].filter({ $0 }).count <= 1 else {
            throw ValidationError("give one of --server, --server-binary and --all-servers")
        }
        _ = try parseLogLevel(logLevel)
    }

    private var clients: [String] { client.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() async throws {
        // Absolute paths, so that the scenario runners (other processes, other folders) find them too.
        if !driver.isEmpty { DriverCatalog.define(driver) }
        var options = RunOptions(paths: paths)
        options.clients = clients
        options.servers = server.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        options.matrixMarkdownPath = matrixMd
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

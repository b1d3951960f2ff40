import ArgumentParser
import NATSFaultRunner

struct ConformanceCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check a client driver against the driver protocol (v1) with real nats-servers.",
        discussion: """
        Checks the handshake, an ack for every op, events on the shared monotonic clock, the error kinds of \
        conditions natsfault causes for certain (connection refused, no responders, request timeout, closed after \
        max reconnects), a clean exit on end of stdin and on `exit`, and, for a driver listing `jetstream`, the \
        JetStream ops of protocol 1.1 against a JetStream server (for one that does not: that it refuses them). \
        Exit codes: 0 every check passed, \
        1 a check failed, 2 invalid arguments, 3 the driver or server is missing.
        """
    )

    @Option(help: "The driver: a name (c, go, python, or one given with --define) or a command (./my-driver --flag).")
    var driver: String

    @OptionGroup var definitions: DriverDefinitions<DefineOption>

    @Option(help: "The nats-server: a version prefix of an installed one (2.9, 2.15.1) or a binary path; default the newest installed.")
    var server: String?

    @OptionGroup var sandbox: SandboxOptions

    @OptionGroup var logging: LoggingOptions

    @Option(name: .customLong("results"), help: ArgumentHelp("Where a failed check's driver stderr and server logs are kept (RESULTS/conformance/<driver>/).", valueName: "results"))
    var resultsFolder: String = "results"

    func run() async throws {
        definitions.apply()
        var options = ConformanceRunner.Options(driver: driver, server: server)
        options.sandbox = sandbox.sandbox
        options.logLevel = logging.level
        options.results = resultsFolder
        try finish(await ConformanceRunner.run(options, console: console))
    }
}

import ArgumentParser
import Logging
import NATSFaultDrivers
import NATSFaultRunner

struct ConformanceCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check a client driver against the driver protocol (v1) with real nats-servers.",
        discussion: """
        Checks the handshake, an ack for every op, events on the shared monotonic clock, the error kinds of \
        conditions natsfault causes for certain (connection refused, no responders, request timeout, closed after \
        max reconnects) and a clean exit on end of stdin and on `exit`. Exit codes: 0 every check passed, \
        1 a check failed, 2 invalid arguments, 3 the driver or server is missing.
        """
    )

    @Option(help: "The driver: a name (c, go, python, or one given with --define) or a command (./my-driver --flag).")
    var driver: String

    @Option(help: "A driver of your own, NAME=COMMAND, so that --driver NAME finds it; repeatable.")
    var define: [String] = []

    @Option(help: "The nats-server: a version prefix of an installed one (2.9, 2.15.1) or a binary path; default the newest installed.")
    var server: String?

    @Flag(help: "Run on the host's loopback without namespaces.")
    var noSandbox = false


    @Option(help: "Log what the check does, on stderr: info, debug (driver commands), trace (every driver line).")
    var logLevel: String = "warning"

    func validate() throws {
        for definition in define where DriverCatalog.parseDefinition(definition) == nil {
            throw ValidationError("--define \"\(definition)\": expected NAME=COMMAND, e.g. java=./my-java-driver (NAME: letters, digits, - and _)")
        }
        _ = try parseLogLevel(logLevel)
    }

    func run() async throws {
        if !define.isEmpty { DriverCatalog.define(define) }
        var options = ConformanceRunner.Options(driver: driver, server: server)
        options.sandbox = !noSandbox
        options.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        try finish(await ConformanceRunner.run(options, print: { printLine($0) }))
    }
}

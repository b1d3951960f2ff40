import ArgumentParser
import NATSFaultRunner

/// The libiptc round trip, run by `doctor` inside a fresh sandbox; not for users.
struct FirewallRoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_firewall-roundtrip", shouldDisplay: false)

    func run() async throws {
        let (passed, lines) = FirewallCheck.run()
        for line in lines { printLine(line) }
        if !passed { throw ExitCode(1) }
    }
}

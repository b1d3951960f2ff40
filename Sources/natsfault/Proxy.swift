import ArgumentParser
import NATSFaultProxy
import NATSFaultRunner

struct Proxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay NATS connections through natsfault's proxy, with no fault: to try a client against it, or to measure it.")

    @Option(help: "HOST:PORT to listen on (a host name resolves to its first IPv4 address).")
    var listen: String

    @Option(help: "HOST:PORT of the nats-server to relay to.")
    var to: String

    @Option(parsing: .unconditional, help: "Event-loop threads (one, as in scenarios, serves thousands of connections).")
    var threads: Int = 1

    func validate() throws {
        guard Self.split(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got \"\(listen)\"") }
        guard Self.split(to) != nil else { throw ValidationError("--to must be HOST:PORT, got \"\(to)\"") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
    }

    static func split(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        let (host, port) = Self.split(listen)!, (upHost, upPort) = Self.split(to)!
        let listenAddress: String, upstreamAddress: String
        do {
            listenAddress = try HostAddress.resolve(host)
            upstreamAddress = try HostAddress.resolve(upHost)
        } catch {
            console.problem("error: \(error.host == host ? "--listen \(listen)" : "--to \(to)"): \(error)")
            throw ExitCode(ExitStatus.invalidInput.rawValue)
        }
        let proxy = FaultProxy(threads: threads, record: { _ in })
        try await proxy.addLink(LinkID(client: "proxy", server: "upstream"), listenHost: listenAddress, listenPort: port, upstreamHost: upstreamAddress,
                                upstreamPort: upPort, filtersClientOperations: false)
        printLine("relaying \(listen) → \(to); stop with Ctrl-C")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

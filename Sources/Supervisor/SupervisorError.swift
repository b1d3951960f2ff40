/// Why a nats-server could not be used.
public enum SupervisorError: Error, Sendable, CustomStringConvertible {
    /// No nats-server binary was found, or none with the requested version.
    case serverNotFound(wanted: String, found: [String])
    /// The version is in natsfault's cache, but its binary does not run.
    case brokenServer(BrokenServer)
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
            let version = wanted.hasPrefix("version ") ? String(wanted.dropFirst(8)) : wanted
            let fix = wanted.hasPrefix("at ") ? "pass the path of a nats-server executable, or install one: natsfault servers install 2.15 (or scripts/setup, for every version)"
                : "install it: natsfault servers install \(version.isEmpty ? "2.15" : version) (natsfault servers list shows what is installed), or pass --server-binary PATH"
            return "no nats-server \(wanted) found" + (found.isEmpty ? "" : " (found: \(found.joined(separator: ", ")))") + "; " + fix
        case .brokenServer(let broken):
            return "nats-server \(broken.version) in natsfault's cache does not run (\(broken.path): \(broken.reason)); reinstall it: \(broken.fix)"
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

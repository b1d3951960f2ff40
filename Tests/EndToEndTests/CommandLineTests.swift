import Foundation
import Synchronization
import Testing

/// The command line as a CI job sees it: what goes to standard output and what to standard error, early and plain
/// errors with exit 2, progress lines, `--quiet`, `--version`, colour and the status line only on a terminal.
extension EndToEndTests {
    struct Streams {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs natsfault (or `executable` with `arguments` naming natsfault itself) with its standard output and standard
    /// error apart.
    static func runApart(_ arguments: [String], executable: String = natsfault, limit: TimeInterval = 120,
                         environment: [String: String] = [:]) throws -> Streams {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, ours in ours }
        let (output, error) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (output, error)
        try process.run()
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        // Standard error is read on the side, so that neither pipe fills up while the other is read.
        let errorData = Mutex(Data())
        let reader = Thread { errorData.withLock { $0 = error.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return Streams(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                       error: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }

    /// Wrong arguments and empty selections exit 2 on standard error, naming what is wrong or what was empty; nothing on
    /// standard output.
    @Test(arguments: [
        (["run", "scenarios", "--jobs", "-1"], "--jobs must be 1 or more, got -1"),
        (["run", "scenarios", "--jobs=-1"], "--jobs must be 1 or more, got -1"),
        (["run", "scenarios", "--jobs", "0"], "--jobs must be 1 or more, got 0"),
        (["run", "scenarios", "--repeat", "-2"], "--repeat must be 1 or more, got -2"),
        (["run", "scenarios", "--client", ""], "--client is empty; give one or more of c, go, python, comma-separated"),
        (["run", "scenarios", "--client", "c,c"], "--client \"c,c\" names c twice"),
        (["run", "scenarios", "--client", "c,,go"], "--client \"c,,go\" has an empty name between its commas"),
        (["run", "scenarios", "--server", ""], "--server is empty"),
        (["run", "scenarios", "--filter", "no-such-scenario"], "no scenario matches --filter \"no-such-scenario\"; the "),
        (["run", "docs"], "no scenario files (.yaml or .yml) in docs; give scenario files or folders holding them"),
        (["validate", "docs"], "no scenario files (.yaml or .yml) in docs"),
        (["validate", "no/such/folder"], "no/such/folder: no such scenario file or folder"),
        (["validate", "Tests/ScenarioTests/Malformed/17-port-out-of-range.yaml"], "17-port-out-of-range.yaml:4:11: servers[0].port: 70000 is out of range"),
        (["replay", "scenarios"], "error: scenarios is a folder, not a file"),
        (["replay", "no/such/results.json"], "error: no/such/results.json does not exist"),
        (["help", "nosuch"], "no command \"nosuch\"; the commands: run, merge, replay, validate, list, schema, conformance, doctor, servers, proxy"),
        (["proxy", "--listen", "no-such-host.invalid:4998", "--to", "127.0.0.1:4222"], "--listen no-such-host.invalid:4998: cannot resolve no-such-host.invalid: "),
    ])
    func invalidInputExitsTwoOnStandardError(_ arguments: [String], _ message: String) throws {
        let run = try Self.runApart(arguments, limit: 30)
        #expect(run.status == 2, "\(run)")
        #expect(run.error.contains(message), "\(run.error)")
        #expect(run.output.isEmpty, "nothing on standard output: \(run.output)")
        #expect(!run.error.contains("NSCocoaErrorDomain") && !run.error.contains("Error Domain="), "\(run.error)")
    }

    /// A scenario file that is not UTF-8 text, or a folder where a file is wanted, is said in plain words.
    @Test func unreadableFilesAreSaidInPlainWords() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]).write(to: dir.appendingPathComponent("latin1.yaml"))
        let run = try Self.runApart(["validate", dir.appendingPathComponent("latin1.yaml").path], limit: 30)
        #expect(run.status == 2 && run.output.isEmpty, "\(run)")
        #expect(run.error.contains("latin1.yaml:1:1: cannot read it: \(dir.path)/latin1.yaml is not UTF-8 text"), "\(run.error)")
    }

    /// A folder or subfolder that cannot be read is refused (exit 2), naming it: a scenario in it would go unrun.
    /// Permissions do not stop root, so as root natsfault runs as the user nobody here.
    @Test func anUnreadableFolderOrSubfolderExitsTwoNamingIt() throws {
        let dir = try Self.temporaryDirectory()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.appendingPathComponent("suite/private").path)
            try? FileManager.default.removeItem(at: dir)
        }
        let suite = dir.appendingPathComponent("suite")
        try FileManager.default.createDirectory(at: suite.appendingPathComponent("private"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("scenarios/graceful-server-restart.yaml").path,
                                         toPath: suite.appendingPathComponent("graceful-server-restart.yaml").path)
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("scenarios/server-crash-restart.yaml").path,
                                         toPath: suite.appendingPathComponent("private/server-crash-restart.yaml").path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: suite.appendingPathComponent("private").path)
        let unprivileged = getuid() == 0 ? ["--reuid=65534", "--regid=65534", "--clear-groups", Self.natsfault] : []
        let executable = getuid() == 0 ? "/usr/bin/setpriv" : Self.natsfault
        for arguments in [["validate", suite.path], ["run", suite.path, "--keep", "none"], ["validate", suite.appendingPathComponent("private").path]] {
            let run = try Self.runApart(unprivileged + arguments, executable: executable, limit: 30)
            #expect(run.status == 2, "\(arguments): \(run)")
            #expect(run.error.contains("permission denied to read the folder \(suite.path)/private"), "\(arguments): \(run.error)")
            #expect(!run.output.contains("valid") && !run.output.contains("PASS"), "\(arguments): \(run.output)")
        }
    }

    /// Each run has a start line and an end line with `[done/total]`, its verdict and duration; through a pipe there is
    /// no status line and no colour; errors and warnings go to standard error.
    @Test func progressLinesThroughAPipe() throws {
        let run = try Self.runApart(["run", "scenarios/graceful-server-restart.yaml", "Tests/EndToEndTests/Fixtures/needs-service.yaml", "--keep", "none"])
        #expect(run.status == 0, "\(run)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("[0/2] start graceful-server-restart [c × nats-server ") }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("[1/2] PASS  graceful-server-restart [c × nats-server ") && $0.hasSuffix("s") }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("[2/2] SKIP  needs-service [c × nats-server ") }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("1 passed, 0 failed, 1 skipped (0 of the failures were errors) in ") }, "\(run.output)")
        #expect(!run.output.contains("\u{1B}") && !run.output.contains("\r"), "no colour, no status line through a pipe")
        #expect(!run.error.contains("error"), "\(run.error)")
    }

    /// --quiet: only the runs that fail and the summary (and the seed, to run them again).
    @Test func quietPrintsOnlyFailuresAndTheSummary() throws {
        let run = try Self.runApart(["run", "scenarios/graceful-server-restart.yaml", "Tests/EndToEndTests/Fixtures/wrong-expectation.yaml", "--quiet", "--keep", "none"])
        #expect(run.status == 1, "\(run)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("[") && $0.contains("] start ") } && !run.output.contains("PASS"), "\(run.output)")
        #expect(lines.first?.hasPrefix("[2/2] FAIL  wrong-expectation [c × nats-server ") == true, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("1 passed, 1 failed, 0 skipped") }, "\(run.output)")
        #expect(lines.last?.hasPrefix("seed ") == true, "\(run.output)")
    }

    /// On a terminal (script(1) gives one): colour and the live status line; NO_COLOR turns the colour off, not the status line.
    @Test func aTerminalGetsColourAndAStatusLineUnlessNoColor() throws {
        for noColor in [false, true] {
            let command = ([Self.natsfault, "run", "scenarios/graceful-server-restart.yaml", "--keep", "none"]).map { "'\($0)'" }.joined(separator: " ")
            let run = try Self.runApart(["-qfec", command, "/dev/null"], executable: "/usr/bin/script", environment: noColor ? ["NO_COLOR": "1"] : ["NO_COLOR": ""])
            #expect(run.status == 0, "\(run)")
            #expect(run.output.contains("\u{1B}[K[0/1] start graceful-server-restart") && run.output.contains("running 1 · done 0/1 · failed 0 · "),
                    "the status line: \(run.output.debugDescription)")
            #expect(run.output.contains("\u{1B}[1;32mPASS \u{1B}[0m graceful-server-restart") == !noColor, "NO_COLOR=\(noColor): \(run.output.debugDescription)")
        }
    }

    /// --version: natsfault's, each shipped driver's client library (from its hello), each installed nats-server.
    @Test func versionNamesNatsfaultTheClientLibrariesAndTheServers() throws {
        let run = try Self.runApart(["--version"], limit: 60)
        #expect(run.status == 0, "\(run)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.range(of: #"^natsfault \d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "\(run.output)")
        #expect(lines.contains { $0.range(of: #"^client c: nats\.c \d+\.\d+\.\d+$"#, options: .regularExpression) != nil }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("client go: ") } && lines.contains { $0.hasPrefix("client python: ") }, "\(run.output)")
        let doctor = try Self.runApart(["doctor"], limit: 60)
        for server in doctor.output.split(separator: "\n") where server.hasPrefix("✓ nats-server ") {
            #expect(lines.contains(String(server.dropFirst(2))), "\(server) as doctor finds it: \(run.output)")
        }
    }

    /// `proxy --listen` takes a host name and listens on its address.
    @Test func theProxyListensOnAHostName() throws {
        let port = 20000 + Int(getpid() % 20000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.natsfault)
        process.arguments = ["proxy", "--listen", "localhost:\(port)", "--to", "localhost:4222"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let first = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        #expect(first.contains("relaying localhost:\(port) → localhost:4222"), "\(first)")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0, "connect to 127.0.0.1:\(port): errno \(errno)")
    }
}

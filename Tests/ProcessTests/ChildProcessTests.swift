import Foundation
@testable import NATSFaultProcess
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real processes (/bin/sh, sleep, cat) started, watched and torn down by `ChildProcess`.
@Suite struct ChildProcessTests {
    /// `stop()` returns only once every thread has stopped: a process of four busy threads uses no more CPU after it.
    @Test func stopReturnsOnceEveryThreadIsStopped() async throws {
        let busy = "import threading\ndef spin():\n    while True: pass\nfor _ in range(3): threading.Thread(target=spin).start()\nspin()\n"
        let child = try await ChildProcess.start("/usr/bin/python3", arguments: ["-c", busy])
        defer { child.signal(SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/task").count == 4)
        #expect(await child.stop())
        #expect(ChildProcess.allThreadsStopped(child.pid))
        // The kernel's own report, not the /proc fallback, is what said so: for a child it is there at once.
        #expect(await ChildProcess.groupStop(of: child.pid, within: .milliseconds(100)) == .stopped)
        func cpuTicks() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .ascii)
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return Int(fields[11])! + Int(fields[12])!  // utime, stime
        }
        let before = try cpuTicks()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try cpuTicks() == before)
        // Resumed and stopped again: the kernel's report of the first stop does not answer for the second.
        child.signal(SIGCONT)
        try await Task.sleep(for: .milliseconds(100))
        #expect(!ChildProcess.allThreadsStopped(child.pid))
        #expect(await ChildProcess.groupStop(of: child.pid, within: .milliseconds(100)) == .timedOut, "running again: no stop to report")
        #expect(await child.stop())
        #expect(ChildProcess.allThreadsStopped(child.pid))
        // Waiting for the stops collected nothing: the process's end is still observed, with its cause.
        child.signal(SIGKILL)
        #expect(await child.exit().termination == .signaled(SIGKILL))
    }

    @Test func thePidIsKnownAsSoonAsStartReturns() async throws {
        let child = try await ChildProcess.start("/bin/sleep", arguments: ["30"])
        #expect(child.pid > 0)
        #expect(child.isRunning)
        #expect(kill(child.pid, 0) == 0, "the pid names a live process")
        #expect(commandLine(of: child.pid).contains("sleep"))
        let exit = await child.terminate(grace: .seconds(2))
        #expect(exit.termination == .signaled(SIGTERM))
        #expect(!exit.killed)
        #expect(!child.isRunning)
    }

    @Test func theExitIsAwaitedAndReportedWithItsStatus() async throws {
        let reported = OneShot<ChildProcess.Exit>()
        let child = try await ChildProcess.start("/bin/sh", arguments: ["-c", "sleep 0.2; exit 3"], onExit: { reported.fulfil($0) })
        #expect(child.isRunning, "still in its sleep")
        let exit = await child.exit()
        #expect(exit.termination == .exited(3))
        #expect(exit.description == "exited(3)")
        #expect(reported.current == exit, "onExit ran before exit() returned")
        #expect(child.ended == exit)
        #expect(!child.signal(SIGTERM), "an ended process is not signalled")
    }

    @Test func aWaitWithATimeLimitGivesUpWithoutEndingTheProcess() async throws {
        let child = try await ChildProcess.start("/bin/sleep", arguments: ["30"])
        let started = ContinuousClock.now
        #expect(await child.exit(within: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(child.isRunning)
        child.signal(SIGKILL)
        let exit = await child.exit()
        #expect(exit.termination == .signaled(SIGKILL))
        #expect(exit.killed)
    }

    /// The teardown policy: the polite step, the grace time, then SIGKILL.
    @Test func aProcessThatIgnoresSIGTERMIsKilledAfterTheGrace() async throws {
        let ready = OneShot<Void>()
        let child = try await ChildProcess.start("/bin/sh", arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
                                                 output: .lines { _ in ready.fulfil(()) })
        _ = await ready.wait(timeout: .seconds(10))
        let started = ContinuousClock.now
        let exit = await child.terminate(.signal(SIGTERM), grace: .milliseconds(300))
        let took = ContinuousClock.now - started
        #expect(exit.termination == .signaled(SIGKILL))
        #expect(exit.killed)
        #expect(took >= .milliseconds(300) && took < .seconds(5))
    }

    @Test func closingTheInputEndsAProgramThatReadsIt() async throws {
        let lines = Mutex<[String]>([])
        let child = try await ChildProcess.start("/bin/cat", input: .pipe, output: .lines { chunk in
            lines.withLock { $0.append(String(decoding: chunk, as: UTF8.self)) }
        })
        #expect(child.write(Array("one\ntwo\n".utf8)))
        let exit = await child.terminate(.closeInput, grace: .seconds(5))
        #expect(exit.termination == .exited(0))
        #expect(!exit.killed)
        #expect(lines.withLock { $0.joined() } == "one\ntwo\n")
        #expect(!child.write(Array("late\n".utf8)), "the input is closed")
    }

    /// A start whose caller is cancelled still returns the pid of the process it launched.
    @Test func aCancelledStartNeverLosesThePid() async throws {
        let start = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await ChildProcess.start("/bin/sleep", arguments: ["30"])
        }
        let child = try await start.value
        #expect(child.isRunning)
        #expect(kill(child.pid, 0) == 0)
        await child.terminate(grace: .seconds(2))
        #expect(!child.isRunning)
    }

    /// A cancelled caller skips the grace time, never the end.
    @Test func aCancelledTeardownStillEndsTheProcess() async throws {
        let child = try await ChildProcess.start("/bin/sh", arguments: ["-c", "trap '' TERM; while :; do sleep 0.05; done"])
        let teardown = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await child.terminate(grace: .seconds(60))
        }
        let exit = await teardown.value
        #expect(exit.killed)
        #expect(!child.isRunning)
    }

    @Test func outputIsDeliveredLineByLineWithALastLineCompleted() async throws {
        let chunks = Mutex<[String]>([])
        let child = try await ChildProcess.start("/bin/sh", arguments: ["-c", "printf 'a\\nb\\n'; sleep 0.1; printf 'c'; printf 'd\\ne' >&2"],
                                                 output: .lines { chunk in chunks.withLock { $0.append(String(decoding: chunk, as: UTF8.self)) } })
        await child.exit()
        let delivered = chunks.withLock { $0 }
        #expect(delivered.allSatisfy { $0.hasSuffix("\n") }, "every delivery is whole lines: \(delivered)")
        #expect(delivered.joined() == "a\nb\nc\n", "stderr is discarded: \(delivered)")
    }

    @Test func outputGoesToALogFileSharedByStdoutAndStderr() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-child-\(getpid())-\(UInt32.random(in: 0 ... .max)).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
        let first = try await ChildProcess.start("/bin/sh", arguments: ["-c", "echo out; echo err >&2"], output: .file(path), error: .file(path))
        await first.exit()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("old\n"), "appended, not truncated")
        #expect(text.contains("out\n") && text.contains("err\n"))

        let again = try await ChildProcess.start("/bin/sh", arguments: ["-c", "echo fresh"], output: .file(path, truncate: true))
        await again.exit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "fresh\n")

        let both = Mutex<[String]>([])
        let copied = try await ChildProcess.start("/bin/sh", arguments: ["-c", "printf 'x\\ny'"],
                                                  output: .lines(copyTo: path) { chunk in both.withLock { $0.append(String(decoding: chunk, as: UTF8.self)) } })
        await copied.exit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "fresh\nx\ny\n")
        #expect(both.withLock { $0.joined() } == "x\ny\n")
    }

    @Test func theEnvironmentIsNatsfaultsOwnWithOverrides() async throws {
        let seen = Mutex("")
        let child = try await ChildProcess.start("/bin/sh", arguments: ["-c", "echo \"$NATSFAULT_CHILD_TEST $PATH\""],
                                                 environment: ["NATSFAULT_CHILD_TEST": "set"],
                                                 output: .lines { chunk in seen.withLock { $0 += String(decoding: chunk, as: UTF8.self) } })
        await child.exit()
        #expect(seen.withLock { $0 } == "set \(ProcessInfo.processInfo.environment["PATH"] ?? "")\n")
    }

    @Test func aMissingExecutableIsAnErrorNamingIt() async throws {
        await #expect {
            _ = try await ChildProcess.start("/nonexistent/natsfault-no-such-program")
        } throws: { error in
            guard case ChildProcessError.cannotStart(let executable, _) = error else { return false }
            return executable == "/nonexistent/natsfault-no-such-program"
        }
    }

    @Test func anUnwritableLogIsAnErrorWithItsErrno() async throws {
        await #expect {
            _ = try await ChildProcess.start("/bin/true", output: .file("/nonexistent-dir/x.log"))
        } throws: { error in
            guard case ChildProcessError.cannotOpen(let path, let cause) = error else { return false }
            return path == "/nonexistent-dir/x.log" && cause.errno == ENOENT && "\(error)" == "cannot write /nonexistent-dir/x.log: No such file or directory"
        }
    }

    @Test func droppingARunningChildKillsIt() async throws {
        var child: ChildProcess? = try await ChildProcess.start("/bin/sleep", arguments: ["30"])
        let pid = child!.pid
        child = nil
        let deadline = ContinuousClock.now + .seconds(5)
        // Reaped by the task that ran it once SIGKILL lands; until then a zombie or gone.
        while ContinuousClock.now < deadline, kill(pid, 0) == 0, !commandLine(of: pid).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(commandLine(of: pid).isEmpty, "pid \(pid) still runs")
    }

    private func commandLine(of pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }
}

@Suite struct OneShotTests {
    @Test func everyWaiterGetsTheValueAndLaterFulfilsAreIgnored() async {
        let shot = OneShot<Int>()
        async let a = shot.wait()
        async let b = shot.value()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(shot.fulfil(1))
        #expect(!shot.fulfil(2))
        #expect(await a == 1)
        #expect(await b == 1)
        #expect(await shot.wait() == 1)
    }

    @Test func aTimedWaitEndsAtItsTimeAndACancelledOneAtOnce() async {
        let shot = OneShot<Int>()
        let started = ContinuousClock.now
        #expect(await shot.wait(timeout: .milliseconds(50)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        let cancelled = Task { await shot.wait(timeout: .seconds(60)) }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }
}

@Suite struct SyscallTests {
    @Test func aFailedCallThrowsItsNameAndErrnoInPlainWords() {
        #expect {
            try Syscall.call("close") { close(-1) }
        } throws: { error in
            guard let error = error as? SystemCallError else { return false }
            return error.call == "close" && error.errno == EBADF && error.description == "close: Bad file descriptor"
        }
        #expect((try? Syscall.call("getpid") { getpid() }) == getpid())
    }
}

@Suite struct LineAssemblerTests {
    @Test func completeLinesAreHandedOverAndTheRestKept() {
        var lines = LineAssembler()
        func add(_ text: String) -> String? {
            Array(text.utf8).withUnsafeBytes { lines.add($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(add("ab") == nil)
        #expect(add("c\nde") == "abc\n")
        #expect(add("f\ng\nh") == "def\ng\n")
        #expect(lines.finish().map { String(decoding: $0, as: UTF8.self) } == "h")
        #expect(lines.finish() == nil)
    }

    /// A line longer than the limit, whether it ends or not, stops the assembler: nothing more is taken or kept.
    @Test func aLineLongerThanTheLimitStopsIt() {
        func feed(_ chunks: [String], limit: Int) -> (handed: [String], overlong: Bool) {
            var lines = LineAssembler(limit: limit)
            var handed: [String] = []
            for chunk in chunks {
                if let done = Array(chunk.utf8).withUnsafeBytes({ lines.add($0) }) { handed.append(String(decoding: done, as: UTF8.self)) }
            }
            if let last = lines.finish() { handed.append(String(decoding: last, as: UTF8.self)) }
            return (handed, lines.overlong)
        }
        #expect(feed(["abcd\n", "efgh\n"], limit: 4) == (["abcd\n", "efgh\n"], false), "a line of exactly the limit is fine")
        #expect(feed(["abc", "de", "\nok\n"], limit: 4) == ([], true), "a line growing past the limit before its newline")
        #expect(feed(["ok\nabcdefgh\nok\n"], limit: 4) == ([], true), "a long line inside one chunk")
        #expect(feed(["ok\n", "abcdefgh"], limit: 4) == (["ok\n"], true), "output that never ends its line")
    }
}

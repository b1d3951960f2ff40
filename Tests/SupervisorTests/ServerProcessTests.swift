import Foundation
import Logging
import NATSFaultScenario
import NATSFaultSupervisor
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real nats-server processes on loopback, started and stopped by `ServerProcess`.
@Suite struct ServerProcessTests {
    /// A start cancelled from the outside (a sibling in the run's start-up group failed, for example a
    /// driver that crashed) must still end, and the server it launched must still be killable: nothing
    /// may be left running or awaited forever.
    @Test func aCancelledStartEndsAndLeavesNothingRunning() async throws {
        let binary = try #require(await ServerBinary.discover().first, "no nats-server installed; run scripts/setup")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-supervisor-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let spec = ServerSpec(name: "a", host: "127.0.0.1", port: try #require(LoopbackPorts.free()), monitorPort: try #require(LoopbackPorts.free()))
        let server = ServerProcess(spec: spec, binary: binary, workDirectory: work.path, logger: Logger(label: "test"), record: { _ in })

        let ended = Atomic<Bool>(false)
        let start = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            _ = try? await server.start()
            ended.store(true, ordering: .sequentiallyConsistent)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !ended.load(ordering: .sequentiallyConsistent), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let endedInTime = ended.load(ordering: .sequentiallyConsistent)
        let config = work.appendingPathComponent("a.conf").path
        #expect(endedInTime, "a cancelled start did not end within 20 s")
        guard endedInTime else {
            // The harness lost the server; do not leave it behind.
            for pid in processes(mentioning: config) { kill(pid_t(pid)!, SIGKILL) }
            return
        }
        _ = await start.value

        await server.shutdown()
        #expect(processes(mentioning: config).isEmpty, "a nats-server of this test is still running after shutdown")
    }

    /// The pids of processes whose command line contains `text`.
    private func processes(mentioning text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }
}

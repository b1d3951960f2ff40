import NATSFaultProcess
import NATSFaultSandbox
import Testing

/// The namespaces every scenario runs in, on this machine (the end-to-end tests need them too).
struct SandboxTests {
    @Test func namespacesWorkWithoutRoot() async {
        let probe = await Sandbox.probe()
        #expect(probe.available, "\(probe.detail)")
    }

    /// A command wrapped by the sandbox is PID 1 of a fresh PID namespace, with a network namespace of its own:
    /// only a loopback interface, down until the runner brings it up.
    @Test func aWrappedCommandIsAloneInFreshNamespaces() async throws {
        let (executable, arguments) = Sandbox.wrap("/bin/sh", ["-c", "echo pid $$; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '"])
        let (text, exit) = try await ChildProcess.output(of: executable, arguments: arguments)
        #expect(exit.termination == .exited(0), "\(text)")
        #expect(text.split(separator: "\n").map(String.init) == ["pid 1", "lo"], "\(text)")
    }

    /// Inside, /proc is the PID namespace's own: a thread's id inside names that thread in /proc (libdispatch's
    /// thread pool relies on it), and no host process shows.
    @Test func procIsTheNamespacesOwn() async throws {
        let (executable, arguments) = Sandbox.wrap("/bin/sh", ["-c", "cut -d' ' -f1-2 /proc/1/stat; ls /proc | grep -c '^[0-9]'"])
        let (text, exit) = try await ChildProcess.output(of: executable, arguments: arguments)
        #expect(exit.termination == .exited(0), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "1 (sh)", "\(text)")
        // sh, and the pipeline's ls and grep: nothing of the host's hundreds.
        #expect(lines.count == 2 && (Int(lines[1]) ?? 99) <= 3, "\(text)")
    }
}

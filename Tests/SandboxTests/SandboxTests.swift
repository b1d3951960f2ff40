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
}

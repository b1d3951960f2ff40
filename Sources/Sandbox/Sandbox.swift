import Foundation
import Synchronization
public import NATSFaultProcess
#if canImport(Glibc)
import Glibc
#endif

/// Fresh user, network and PID namespaces for each scenario.
///
/// The runner re-executes itself under `unshare` so that inside it is PID 1 of a new PID namespace
/// with a network namespace of its own: fixed ports are free in every scenario, the host's network is
/// never touched, and when the runner dies, even by SIGKILL, the kernel kills every process inside.
public enum Sandbox {
    /// The `unshare` arguments that put a command in fresh namespaces.
    ///
    /// `--mount-proc` gives the PID namespace a /proc of its own: libdispatch's thread pool reads
    /// `/proc/<tid>/stat` of its worker threads by their ids inside the namespace, and on the host's /proc an id
    /// that names no process there made it abort the runner ("registered worker exited prematurely", SIGILL).
    static let unshareArguments = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]

    /// Whether namespaces work here; when they do not, the reason.
    public static func probe() async -> (available: Bool, detail: String) {
        guard let unshare = ChildProcess.find("unshare") else {
            return (false, "the unshare program is missing; install util-linux (apt-get install util-linux)")
        }
        let errors = Mutex<[UInt8]>([])
        let process: ChildProcess
        do {
            process = try await ChildProcess.start(unshare, arguments: unshareArguments + ["true"], error: .lines { lines in errors.withLock { $0 += lines } })
        } catch {
            return (false, "cannot run \(unshare): \(error)")
        }
        if await process.exit().termination == .exited(0) { return (true, "user, network and PID namespaces work without root") }
        let text = String(decoding: errors.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (false, "unprivileged namespaces are not allowed here (\(text)); on Debian/Ubuntu: sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0")
    }

    /// The command line that runs `executable arguments` inside fresh namespaces.
    public static func wrap(_ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (ChildProcess.find("unshare") ?? "/usr/bin/unshare", unshareArguments + [executable] + arguments)
    }

    /// Prepares the inside of a sandbox: loopback up, and exit as soon as the parent goes away.
    ///
    /// The parent holds the only write end of our standard input; end-of-file there means it died,
    /// and exiting then makes the kernel kill everything in the namespace.
    public static func enter() throws {
        try LoopbackInterface.bringUp()
        endWithParent(killingProcessGroup: false)
    }

    /// Ends this process as soon as the parent goes away (end-of-file on standard input).
    ///
    /// - Parameter killingProcessGroup: also SIGKILL this process's group, for runs without
    ///   namespaces: the parent starts the runner as the leader of a new group, and every server and
    ///   driver it starts joins that group, so nothing outlives a SIGKILLed natsfault there either.
    public static func endWithParent(killingProcessGroup: Bool) {
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while read(0, &byte, 1) > 0 {}
            if killingProcessGroup { kill(0, SIGKILL) }
            _exit(70)
        }
    }

}

/// Why the sandbox could not be set up.
public struct SandboxError: Error, CustomStringConvertible {
    /// What was being done (`setting lo up`).
    public var step: String
    /// The C call that failed.
    public var cause: SystemCallError

    public var description: String { "\(step): \(cause.text)" }
}

/// The `lo` interface of the current network namespace.
enum LoopbackInterface {
    /// Sets `lo` up; the whole 127.0.0.0/8 is then reachable, so 127.0.0.2… serve as extra hosts.
    static func bringUp() throws {
        let fd: Int32
        do { fd = try Syscall.call("socket") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) } } catch { throw SandboxError(step: "socket", cause: error) }
        defer { close(fd) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { $0.copyBytes(from: Array("lo".utf8) + [0]) }
        do { try Syscall.call("ioctl(SIOCGIFFLAGS)") { ioctl(fd, UInt(SIOCGIFFLAGS), &request) } } catch { throw SandboxError(step: "reading lo's flags", cause: error) }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP | IFF_RUNNING)
        do { try Syscall.call("ioctl(SIOCSIFFLAGS)") { ioctl(fd, UInt(SIOCSIFFLAGS), &request) } } catch { throw SandboxError(step: "setting lo up", cause: error) }
    }
}

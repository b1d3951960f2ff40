#if canImport(Glibc)
import Glibc
#endif

/// Why a C call failed: the call's name and the errno it left.
///
/// Its description reads `connect: Connection refused`; `text` alone is the errno in plain words,
/// for messages that name the call in their own words.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The C function that failed, as called (`socket`, `connect`, `ioctl(SIOCGIFFLAGS)`).
    public var call: String
    /// The errno it left.
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The errno in plain words, as strerror(3) gives them: `Connection refused`.
    public var text: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(text)" }
}

/// Every C call of natsfault's own code goes through `call`: -1 becomes a `SystemCallError`, EINTR a retry.
public enum Syscall {
    /// Runs `body` until it is not interrupted, and returns its result.
    ///
    /// - Parameters:
    ///   - name: the call's name, for the error.
    ///   - retryingInterrupts: false for calls that must not be repeated after EINTR (connect(2) goes on in the
    ///     background; a second call would fail with EALREADY).
    /// - Throws: `SystemCallError` when `body` returns -1, with the errno it left.
    @discardableResult
    @inline(__always)
    public static func call<Result: BinaryInteger>(_ name: String, retryingInterrupts: Bool = true,
                                                   _ body: () -> Result) throws(SystemCallError) -> Result {
        while true {
            let result = body()
            guard result == -1 else { return result }
            let code = Glibc.errno
            if code == EINTR, retryingInterrupts { continue }
            throw SystemCallError(call: name, errno: code)
        }
    }
}

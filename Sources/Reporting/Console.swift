import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where natsfault talks to its user: lines on standard output, errors and warnings on standard error, and, when
/// standard output is a terminal, one live status line kept below the other lines and redrawn in place.
///
/// Every write is one `write(2)` under one lock, so lines from runs ending at once never interleave, and the status
/// line is never left in the middle of another line.
public final class Console: Sendable {
    /// What the terminal shows.
    public struct Capabilities: Sendable, Equatable {
        /// Standard output is a terminal: a status line may be drawn and redrawn in place.
        public var statusLine: Bool
        /// Verdicts in colour.
        public var colour: Bool

        public init(statusLine: Bool, colour: Bool) {
            (self.statusLine, self.colour) = (statusLine, colour)
        }

        /// A pipe or a file: no status line, no colour.
        public static let plain = Capabilities(statusLine: false, colour: false)

        /// A terminal gets the status line and colour; `NO_COLOR` with any non-empty value turns colour off
        /// (no-color.org); a pipe or a file gets neither.
        public static func detect(isTerminal: Bool, environment: [String: String]) -> Capabilities {
            Capabilities(statusLine: isTerminal, colour: isTerminal && (environment["NO_COLOR"] ?? "").isEmpty)
        }

        /// For this process's standard output and environment.
        public static var current: Capabilities {
            detect(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        }
    }

    /// The two streams a console writes to.
    public enum Stream: Sendable {
        case output, error
    }

    public let capabilities: Capabilities
    private let write: @Sendable (Stream, String) -> Void
    /// The status line on screen, if any.
    private let status = Mutex<String?>(nil)

    /// - Parameter write: writes text to a stream as it is (tests collect it; the default writes to file descriptors 1 and 2).
    public init(capabilities: Capabilities = .current, write: @escaping @Sendable (Stream, String) -> Void = Console.writeToProcess) {
        self.capabilities = capabilities
        self.write = write
    }

    /// Writes `text` and a newline to standard output, above the status line.
    ///
    /// - Parameter status: the status line to draw below it from now on (nil: the one shown stays).
    public func line(_ text: String, status: String? = nil) {
        emit(.output, text, status: status)
    }

    /// Writes `text` and a newline to standard error (an error or a warning), above the status line.
    public func problem(_ text: String) {
        emit(.error, text, status: nil)
    }

    /// Draws `text` as the status line, in place of the previous one; nothing without a terminal.
    public func showStatus(_ text: String) {
        guard capabilities.statusLine else { return }
        status.withLock { shown in
            let fitted = Self.fit(text, columns: Self.columns())
            guard shown != fitted else { return }
            shown = fitted
            write(.output, Self.clear + fitted)
        }
    }

    /// Removes the status line.
    public func clearStatus() {
        status.withLock { shown in
            guard shown != nil else { return }
            shown = nil
            write(.output, Self.clear)
        }
    }

    private func emit(_ stream: Stream, _ text: String, status next: String?) {
        status.withLock { shown in
            if capabilities.statusLine, let next { shown = Self.fit(next, columns: Self.columns()) }
            guard let shown else { return write(stream, text + "\n") }
            // The status line goes, the text takes its place, and the status line comes back below it.
            if stream == .output {
                write(.output, Self.clear + text + "\n" + shown)
            } else {
                write(.output, Self.clear)
                write(.error, text + "\n")
                write(.output, shown)
            }
        }
    }

    /// Back to the line's start and erase it.
    static let clear = "\r\u{1B}[K"

    /// The status line cut to the terminal's width: a wrapped one could not be erased in place.
    static func fit(_ text: String, columns: Int) -> String {
        text.count < columns ? text : String(text.prefix(max(0, columns - 2))) + "…"
    }

    /// The terminal's width, 80 when it does not say.
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Writes to this process's standard output or standard error, all of it.
    public static let writeToProcess: @Sendable (Stream, String) -> Void = { stream, text in
        let fd = stream == .output ? STDOUT_FILENO : STDERR_FILENO
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM during a suite (Ctrl-C, a CI job's cancel or timeout): the runs going on are stopped, their
/// sandboxes taken down, and what had finished is still reported.
enum Interruption {
    /// Runs `body`, cancelling it at the first SIGINT or SIGTERM; returns its value and the signal that cut it short, if any.
    static func watch<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> (T, String?) {
        let (signals, continuation) = AsyncStream.makeStream(of: String.self)
        let sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return await withTaskGroup(of: WatchOutcome<T>.self) { group in
            group.addTask { .finished(await body()) }
            group.addTask {
                for await name in signals { return .signalled(name) }
                return .quiet
            }
            var value: T?
            var signal: String?
            while let next = await group.next() {
                switch next {
                case .finished(let finished):
                    value = finished
                    continuation.finish()
                case .signalled(let name):
                    signal = name
                    // The runs are cancelled: each takes its sandbox down, and the suite reports what had finished.
                    group.cancelAll()
                case .quiet: break
                }
            }
            return (value!, signal)
        }
    }
}

/// How a watched suite's group child ended.
private enum WatchOutcome<T: Sendable>: Sendable {
    case finished(T)
    case signalled(String)
    case quiet
}

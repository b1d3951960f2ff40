import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM during a suite (Ctrl-C, a CI job's cancel or timeout): the first stops the runs going on, whose
/// sandboxes are taken down, and what had finished is still reported; a second one ends natsfault at once.
///
/// Watching starts when the suite's runs are about to start and lasts until `stop()`, past the reports, so that a
/// signal while they are written is a second chance, not a death by the signal's default action.
final class Interruption: Sendable {
    /// A signal that interrupts a suite.
    struct Signal: Sendable, Equatable {
        var number: Int32
        var name: String

        /// 128 + the signal's number, as a shell reports a program the signal ended: 130 for SIGINT, 143 for SIGTERM.
        var exitStatus: Int32 { 128 + number }

        static let watched = [Signal(number: SIGINT, name: "SIGINT"), Signal(number: SIGTERM, name: "SIGTERM")]
    }

    /// Dispatch sources are safe to cancel from any thread.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]
    private let first: AsyncStream<Signal>
    private let state = Signals()

    /// How many signals came, and the first.
    private final class Signals: Sendable {
        let seen = Mutex<(count: Int, first: Signal?)>((0, nil))
    }

    /// Starts watching.
    ///
    /// - Parameter again: called at the second signal, on a dispatch queue, with that signal: it must end the process.
    init(again: @escaping @Sendable (Signal) -> Never) {
        let (first, firstSink) = AsyncStream.makeStream(of: Signal.self)
        self.first = first
        var sources: [any DispatchSourceSignal] = []
        let state = self.state
        for watched in Signal.watched {
            Glibc.signal(watched.number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: watched.number)
            // The handler holds its source until `stop()` cancels it, which lets both go.
            source.setEventHandler {
                // Signals that come close together are delivered as one event, with their number.
                let (before, after) = state.seen.withLock { s in
                    let before = s.count
                    s.count += max(1, Int(source.data))
                    if s.first == nil { s.first = watched }
                    return (before, s.count)
                }
                if before == 0 {
                    firstSink.yield(watched)
                    firstSink.finish()
                }
                if after > 1 { again(watched) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The first signal that came, if one did.
    var signal: Signal? { state.seen.withLock { $0.first } }

    /// Runs `body`, cancelling it at the first signal (the tasks it started then stop, and it returns what it has).
    func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let first = self.first
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                for await _ in first { return nil }
                return nil
            }
            var value: T?
            while let next = await group.next() {
                if let finished = next {
                    value = finished
                }
                // Either the body ended (the watcher has nothing left to do) or a signal came (the body stops).
                group.cancelAll()
            }
            return value!
        }
    }

    /// Stops watching: the signals' default actions are back.
    func stop() {
        for source in sources { source.cancel() }
        for watched in Signal.watched { Glibc.signal(watched.number, SIG_DFL) }
    }
}

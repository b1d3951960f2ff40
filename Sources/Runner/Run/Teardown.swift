import Synchronization

/// What a run has started, to stop in the reverse order, as swift-service-lifecycle's groups do: what started
/// last (applications, drivers) stops first, what everything else relies on (the servers, the proxy) last.
final class Teardown: Sendable {
    private let steps = Mutex<[@Sendable () async -> Void]>([])

    /// Runs `body` with a teardown to register stops with; every registered stop runs, in reverse order, once
    /// `body` has returned or thrown.
    static func run<T: Sendable>(_ body: (Teardown) async throws -> T) async rethrows -> T {
        let teardown = Teardown()
        do {
            let value = try await body(teardown)
            await teardown.unwind()
            return value
        } catch {
            await teardown.unwind()
            throw error
        }
    }

    /// Registers how to stop something that has just been started.
    func onTeardown(_ stop: @escaping @Sendable () async -> Void) { steps.withLock { $0.append(stop) } }

    private func unwind() async {
        for stop in steps.withLock({ $0.reversed() }) { await stop() }
    }
}

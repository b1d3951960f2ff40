/// Work a run starts in the background but still owns: every task started through `start` while
/// `run` is in progress is a child of the task group `run` opens, so none outlives it.
final class TaskNursery: Sendable {
    private typealias Work = @Sendable () async -> Void
    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Work.self) }

    /// Starts `work` as a child of the running `run`; work started after `run` has returned is dropped.
    func start(_ work: @escaping @Sendable () async -> Void) { continuation.yield(work) }

    /// Runs `body`, with every task started meanwhile as a child of this call.
    ///
    /// - Parameter cancellingAtEnd: cancel the children still running when `body` ends (timers), instead of
    ///   waiting for them (operations that must finish).
    /// - Returns: once `body` and every child are done.
    func run<T: Sendable>(cancellingAtEnd: Bool, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { [continuation] in
                defer { continuation.finish() }
                return try await body()
            }
            // Ends when `body` has returned and finished the stream.
            for await work in stream { group.addTask { await work(); return nil } }
            var result: T?
            while let next = try await group.next() {
                guard let value = next else { continue }
                result = value
                if cancellingAtEnd { group.cancelAll() }
            }
            return result!
        }
    }
}

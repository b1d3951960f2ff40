import Synchronization

/// A value set once and awaited by any number of tasks, each of which may give up without polling.
///
/// Waiters are continuations resumed by whoever sets the value; a waiter whose task is cancelled is resumed
/// at once with nil, so racing a wait against a sleep in a task group leaves no task behind.
public final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The value, if it has been set.
    public var current: Value? { state.withLock { $0.value } }

    /// Sets the value and resumes every waiter; returns false (and changes nothing) when it was already set.
    @discardableResult
    public func fulfil(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>]? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    /// The value once it is set, however long that takes, even in a cancelled task.
    public func value() async -> Value {
        // Not registered as cancellable, so the waiter is only ever resumed with the value.
        await register(cancellable: false)!
    }

    /// The value once it is set; nil if the calling task is cancelled first.
    public func wait() async -> Value? {
        await register(cancellable: true)
    }

    private func register(cancellable: Bool) async -> Value? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Value?? = state.withLock { state in
                    if let value = state.value { return .some(value) }
                    // Cancelled before the waiter was registered: the handler below found nothing to resume.
                    if cancellable, Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            guard cancellable else { return }
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// The value if it is set within `timeout`; nil otherwise, or if the calling task is cancelled.
    public func wait(timeout: Duration) async -> Value? {
        if let value = current { return value }
        return await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

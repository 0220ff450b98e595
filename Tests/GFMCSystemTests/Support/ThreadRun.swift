import Foundation

/// Runs a throwing body on its own thread (a runtime loop owns its sockets for its whole life); `wait(seconds:)`
/// collects the outcome, bounded. Used by the in-process runtime tests.
final class ThreadRun<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outcome: Result<T, Error>?

    init(_ name: String, _ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let result = Result { try body() }
            lock.withLock { outcome = result }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// The body's outcome, or nil if it did not finish within `seconds`.
    func wait(seconds: Double) -> Result<T, Error>? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        done.signal()  // later waits return at once
        return lock.withLock { outcome }
    }
}

/// A value set once from another thread (e.g. the coordinator's real endpoint), read with a bounded wait.
final class OnceValue<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) { lock.withLock { value = newValue } }

    func wait(seconds: Double) -> T? {
        let deadline = Deadline(seconds: seconds)
        for _ in 0..<Int(seconds / 0.005) + 1 {
            if let current = lock.withLock({ value }) { return current }
            if deadline.hasPassed { break }
            usleep(5_000)
        }
        return lock.withLock { value }
    }
}

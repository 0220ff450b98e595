import Dispatch
import Foundation

/// A throwing body run once on its own thread, joined with `wait`. The thread has an 8 MiB stack (the
/// engine's LAPACK calls need more than a secondary thread's default 512 KiB), so a coordinator or worker
/// runtime can run on it in-process (benchmarks, tests).
///
/// `@unchecked Sendable`: `outcome` is written once by the thread and read after `done` is signalled, both
/// under `lock`.
public final class BackgroundThread<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outcome: Result<T, Error>?

    /// Starts `body` at once on a new thread named `name`.
    public init(_ name: String? = nil, _ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let result = Result { try body() }
            lock.withLock { outcome = result }
            done.signal()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the body returned; its value or rethrows its error.
    public func wait() throws -> T {
        try wait(seconds: .infinity)!.get()
    }

    /// The body's result, or nil if it did not finish within `seconds`. Can be called again.
    public func wait(seconds: Double) -> Result<T, Error>? {
        let finished = seconds.isFinite
            ? done.wait(timeout: .now() + seconds) == .success
            : { done.wait(); return true }()
        guard finished else { return nil }
        done.signal()  // later waits return at once
        return lock.withLock { outcome }
    }
}

import Foundation

/// A named thread that first sets up what it needs (typically a socket, which must be made on the thread that
/// uses it) and then runs with it; its owner stops it once and waits for it.
///
/// - `setup` runs on the new thread; if it throws, `init` rethrows that error on the caller's thread and `run`
///   never runs (`stop` then returns at once).
/// - `run` gets what `setup` returned, on the same thread, and must return soon after the owner's stop request
///   (the `requestStop` given to `stop`).
///
/// `@unchecked Sendable`: `stopped` is guarded by `lock`; the semaphores are thread-safe.
final class StartedThread: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false

    /// Starts the thread and returns once `setup` is done.
    init<Resource>(named name: String, setup: @escaping @Sendable () throws -> Resource,
                   run: @escaping @Sendable (Resource) -> Void) throws {
        let ready = DispatchSemaphore(value: 0)
        let startup = StartupResult()
        let finished = finished
        let thread = Thread {
            let resource: Resource
            do {
                resource = try setup()
            } catch {
                startup.error = error
                ready.signal()
                finished.signal()
                return
            }
            ready.signal()
            run(resource)
            finished.signal()
        }
        thread.name = name
        thread.start()
        ready.wait()
        if let error = startup.error {
            stopped = true
            throw error
        }
    }

    /// The first call runs `requestStop` (which must make `run` return) and waits for the thread to end;
    /// later calls return at once.
    func stop(requestStop: () -> Void) {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        requestStop()
        finished.wait()
    }

    /// `@unchecked Sendable`: `error` is written by the new thread before it signals start-up and read only
    /// after that signal.
    private final class StartupResult: @unchecked Sendable {
        var error: Error?
    }
}

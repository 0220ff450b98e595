import Foundation

/// Starts a named thread that first sets up what it needs (typically a socket, which must be made on the
/// thread that uses it) and then runs with it, and returns once the set-up is done.
///
/// - `setup` runs on the new thread; if it throws, `start` rethrows that error on the caller's thread and
///   `run` never runs.
/// - `run` gets what `setup` returned, on the same thread; `finished` is signalled when the thread ends
///   (also after a failed set-up), so an owner can wait for it when stopping.
enum StartedThread {
    static func start<Resource>(named name: String, finished: DispatchSemaphore,
                                setup: @escaping @Sendable () throws -> Resource,
                                run: @escaping @Sendable (Resource) -> Void) throws {
        let ready = DispatchSemaphore(value: 0)
        let startup = StartupResult()
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
        if let error = startup.error { throw error }
    }

    /// `@unchecked Sendable`: `error` is written by the new thread before it signals start-up and read only
    /// after that signal.
    private final class StartupResult: @unchecked Sendable {
        var error: Error?
    }
}

import Foundation
import GFMCCoordination
import GFMCModel

/// A worker's engine threads: one per slot, sharing a FIFO of jobs. `WorkerCore` never has more jobs out
/// than slots, so a job starts as soon as it is enqueued. Each finished job is put in an outbox and
/// `onCompletion` is called (the runtime wakes its transport), so the message thread learns of it at once.
///
/// `@unchecked Sendable`: the queue, outbox and flag are touched only while `condition` is held.
final class EnginePool: @unchecked Sendable {
    struct Job: Sendable {
        /// `WorkerCore`'s job number.
        let id: Int
        let trials: [TrialID]
        let study: any PreparedStudy
    }

    struct Completion: Sendable {
        let job: Int
        let outcome: WorkerJobOutcome
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var completions: [Completion] = []
    private var stopping = false
    /// Engine threads that have not left their loop yet.
    private var liveThreads = 0
    private let onCompletion: @Sendable () -> Void

    /// Starts `slots` engine threads (8 MiB stacks, for LAPACK).
    init(slots: Int, onCompletion: @escaping @Sendable () -> Void) {
        self.onCompletion = onCompletion
        liveThreads = slots
        for slot in 0..<slots {
            let thread = Thread { [self] in self.engineLoop() }
            thread.name = "gfmc-engine-\(slot)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    func enqueue(_ job: Job) {
        condition.withLock {
            queue.append(job)
            condition.signal()
        }
    }

    func takeCompletions() -> [Completion] {
        condition.withLock {
            let done = completions
            completions.removeAll()
            return done
        }
    }

    /// Asks the threads to exit after their current job and waits until they have. The process must not
    /// exit while an engine thread is inside OpenBLAS: its exit-time teardown would pull the library's state
    /// from under the running job (a crash). A job is one task, about a second by the coordinator's sizing.
    func stop() {
        condition.withLock {
            stopping = true
            queue.removeAll()
            condition.broadcast()
            while liveThreads > 0 { condition.wait() }
        }
    }

    private func engineLoop() {
        defer {
            condition.withLock {
                liveThreads -= 1
                condition.broadcast()
            }
        }
        while true {
            let job: Job? = condition.withLock {
                while queue.isEmpty && !stopping { condition.wait() }
                if stopping { return nil }
                return queue.removeFirst()
            }
            guard let job else { return }
            let outcome = Self.compute(job)
            let stopped = condition.withLock {
                completions.append(Completion(job: job.id, outcome: outcome))
                return stopping
            }
            if !stopped { onCompletion() }
        }
    }

    /// Runs the job's trials in order; the first error fails the whole job. Trial times are measured on
    /// the system's monotonic clock (they size tasks; they are not protocol timeouts).
    private static func compute(_ job: Job) -> WorkerJobOutcome {
        let clock = MonotonicClock()
        var results: [TrialResult] = []
        var seconds: [Double] = []
        results.reserveCapacity(job.trials.count)
        for trial in job.trials {
            let start = clock.now()
            do {
                results.append(try job.study.run(trial))
            } catch {
                return .failure(reason: "trial \(trial): \(error)")
            }
            seconds.append((clock.now() - start).secondsValue)
        }
        return .success(results: results, seconds: seconds)
    }
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

import Foundation
import GFMCCoordination
import GFMCModel
import GFMCTransport

/// A worker's engine threads: one per slot, sharing a FIFO of tasks. Each finished task is put in
/// an outbox and signalled to the socket thread through an inproc socket (one socket per engine
/// thread, created and closed by that thread), so the socket thread wakes at once.
///
/// `@unchecked Sendable`: the queue, outbox and counters are touched only while `condition` is held; the engine threads own their sockets.
final class EnginePool: @unchecked Sendable {
    struct Job: Sendable {
        let taskID: TaskID
        let studyHash: String
        let trials: [TrialID]
        let study: any PreparedStudy
        /// Session generation the task belongs to; results of older generations are discarded.
        let generation: Int
    }

    struct Completion: Sendable {
        let job: Job
        enum Outcome: Sendable {
            case success(results: [TrialResult], seconds: [Double])
            case failure(String)
        }
        let outcome: Outcome
        let cancelled: Bool
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var running: [TaskID: Job] = [:]
    private var cancelledRunning: Set<TaskID> = []
    private var completions: [Completion] = []
    private var stopping = false
    private let clock = MonotonicClock()

    /// Starts `slots` engine threads that signal on `wakeEndpoint` (an inproc endpoint bound in `context`).
    init(slots: Int, context: ZMQContext, wakeEndpoint: String) {
        for slot in 0..<slots {
            let thread = Thread { [self] in self.engineLoop(context: context, wakeEndpoint: wakeEndpoint) }
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

    /// Removes and returns every task not yet started.
    func removeQueued() -> [Job] {
        condition.withLock {
            let jobs = queue
            queue.removeAll()
            return jobs
        }
    }

    /// Drops a queued task, or marks a running one so its result is discarded. Returns whether the
    /// task was known.
    @discardableResult
    func cancel(_ taskID: TaskID) -> Bool {
        condition.withLock {
            if let index = queue.firstIndex(where: { $0.taskID == taskID }) {
                queue.remove(at: index)
                return true
            }
            if running[taskID] != nil {
                cancelledRunning.insert(taskID)
                return true
            }
            return false
        }
    }

    var runningTaskIDs: [TaskID] { condition.withLock { running.keys.sorted() } }
    var idle: Bool { condition.withLock { queue.isEmpty && running.isEmpty } }

    func takeCompletions() -> [Completion] {
        condition.withLock {
            let done = completions
            completions.removeAll()
            return done
        }
    }

    /// Asks the threads to exit after their current task; does not wait.
    func stop() {
        condition.withLock {
            stopping = true
            queue.removeAll()
            condition.broadcast()
        }
    }

    private func engineLoop(context: ZMQContext, wakeEndpoint: String) {
        let wake: ZMQSocket? = try? {
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.connect(wakeEndpoint)
            return socket
        }()
        defer {
            wake?.close()
        }
        while true {
            let job: Job? = condition.withLock {
                while queue.isEmpty && !stopping { condition.wait() }
                if stopping { return nil }
                let next = queue.removeFirst()
                running[next.taskID] = next
                return next
            }
            guard let job else { return }
            let outcome = compute(job)
            condition.withLock {
                running[job.taskID] = nil
                let cancelled = cancelledRunning.remove(job.taskID) != nil
                completions.append(Completion(job: job, outcome: outcome, cancelled: cancelled))
            }
            _ = try? wake?.trySend([[1]])
        }
    }

    private func compute(_ job: Job) -> Completion.Outcome {
        var results: [TrialResult] = []
        var seconds: [Double] = []
        results.reserveCapacity(job.trials.count)
        for trial in job.trials {
            let start = clock.now()
            do {
                results.append(try job.study.run(trial))
            } catch {
                return .failure("trial \(trial): \(error)")
            }
            seconds.append(clock.now() - start)
        }
        return .success(results: results, seconds: seconds)
    }
}

import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCModel
import GFMCRuntime

/// Round-trip dispatch throughput of the real coordinator and worker runtimes over loopback TCP with
/// trivial tasks (one trial per task, the trial returns at once), in one process. It measures the
/// per-task cost of the whole path: encode → ROUTER → DEALER → engine thread → result → decode →
/// validation → durable SQLite commit (WAL, synchronous=FULL) → next task.
public enum DispatchBenchmark {
    public struct Result: Codable, Sendable, Equatable {
        public var tasks: Int
        public var workers: Int
        public var slotsPerWorker: Int
        /// Tasks each worker held queued per slot beyond the running ones (`WorkerOptions.prefetchPerSlot`);
        /// nil in results recorded before workers prefetched (then 0).
        public var prefetchPerSlot: Int?
        /// Wall seconds from the coordinator's start (store opened, socket bound) to the study's
        /// completion; includes the workers' start and first announcement.
        public var seconds: Double
        public var tasksPerSecond: Double
        /// seconds / tasks × 1000 (with all workers and slots in parallel).
        public var millisecondsPerTask: Double
    }

    /// Runs `tasks` one-trial tasks through `workers` in-process workers with `slotsPerWorker` slots, each
    /// holding `prefetchPerSlot` more tasks queued per slot (default: the workers' default).
    /// The store is created in `directory` (which must exist) and left there.
    public static func run(tasks: Int, workers: Int = 1, slotsPerWorker: Int = 1,
                           prefetchPerSlot: Int = WorkerSettings(slots: 1).prefetchPerSlot,
                           directory: String) throws -> Result {
        let trials = (0..<max(1, tasks)).map { TrialID(width: 1, index: $0) }
        let study = StudyIdentity(hash: "dispatch-benchmark-\(UUID().uuidString)", json: "{}")
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0",
                                         storePath: directory + "/dispatch-benchmark-\(UUID().uuidString).sqlite",
                                         study: study, trials: trials)
        options.settings.maxTrialsPerTask = 1
        options.farewellSeconds = 0.2
        let endpoint = LockedValue<String?>(nil)
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let coordinator = BackgroundThread { try CoordinatorRuntime.run(fixed) }
        var address: String?
        for _ in 0..<2000 where address == nil {
            address = endpoint.value
            if address == nil { Thread.sleep(forTimeInterval: 0.005) }
        }
        guard let address else { throw BenchmarkError(message: "coordinator did not start") }
        let executor = ClosureTrialExecutor { _ in
            { trial in TrialResult(id: trial, engine: "benchmark", method: "none") }
        }
        let workerRuns = (0..<max(1, workers)).map { _ in
            var workerOptions = WorkerOptions(endpoint: address, slots: max(1, slotsPerWorker), executor: executor)
            workerOptions.prefetchPerSlot = prefetchPerSlot
            workerOptions.giveUpAfterSeconds = 30
            let fixedWorker = workerOptions
            return BackgroundThread { try WorkerRuntime.run(fixedWorker) }
        }
        let summary = try coordinator.wait()
        let seconds = summary.completionSeconds ?? summary.status.elapsedSeconds
        for run in workerRuns { _ = try? run.wait() }
        guard summary.ending == .complete else { throw BenchmarkError(message: "the benchmark study did not complete") }
        let count = trials.count
        return Result(tasks: count, workers: workerRuns.count, slotsPerWorker: max(1, slotsPerWorker),
                      prefetchPerSlot: prefetchPerSlot, seconds: seconds, tasksPerSecond: Double(count) / seconds,
                      millisecondsPerTask: seconds / Double(count) * 1000)
    }

    public struct BenchmarkError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "dispatch benchmark: \(message)" }
    }
}

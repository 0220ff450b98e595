import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy
import Testing

extension SystemTests {
    /// The coordinator's task size is a `CoordinatorSettings` matter, not a study key, so this test drives the
    /// runtime in-process (real ZeroMQ on loopback, the real engine through `StudyExecutor`, the real SQLite store)
    /// with very different task sizes, and compares what is stored with a serial computation that uses no
    /// runtime at all.
    @Suite("Determinism across task sizes (runtime in-process, real engine)")
    struct TaskSizeDeterminism {
        static let studyText = TestStudy(name: "systest-task-size", widths: [10, 100, 1000], trials: 60).json

        /// Every stored trial, in (width, index) order, as canonical JSON with the measured `wallSeconds` zeroed
        /// (JSON, because NaN fields make `TrialResult ==` false for identical records).
        static func canonical(_ results: [TrialResult]) throws -> [String] {
            let encoder = GFMCJSON.encoder()
            return try results.sorted { $0.id < $1.id }.map { result in
                var copy = result
                copy.wallSeconds = 0
                return String(decoding: try encoder.encode(copy), as: UTF8.self)
            }
        }

        static func realExecutor() -> ClosureTrialExecutor {
            ClosureTrialExecutor { welcome in
                let executor = try StudyExecutor(studyJSON: welcome.studyJSON, expectedHash: welcome.studyHash)
                return { try executor.run($0) }
            }
        }

        /// Runs the whole study with `workers` in-process workers of one slot and the given task-size settings;
        /// returns the stored results.
        static func runStudy(_ study: StudyDescription, settings: CoordinatorSettings, workers: Int,
                             directory: TemporaryDirectory, label: String) throws -> [TrialResult] {
            let storePath = directory.file("\(label).sqlite")
            var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: storePath,
                                             study: StudyIdentity(hash: study.identityHash, json: study.canonicalJSON),
                                             trials: try #require(study.trialIDs))
            options.settings = settings
            options.farewellSeconds = 0.3
            let endpoint = LockedValue<String?>(nil)
            options.onListening = { endpoint.set($0) }
            let fixedOptions = options
            let coordinator = BackgroundThread("coordinator-\(label)") { try CoordinatorRuntime.run(fixedOptions) }
            let address = try #require(endpoint.await(seconds: 10), "coordinator \(label) did not start listening")
            let workerRuns = (0..<workers).map { index in
                BackgroundThread("worker-\(label)-\(index)") {
                    var workerOptions = WorkerOptions(endpoint: address, slots: 1, executor: realExecutor())
                    workerOptions.giveUpAfterSeconds = 30
                    return try WorkerRuntime.run(workerOptions)
                }
            }
            let summary = try #require(coordinator.wait(seconds: 120), "coordinator \(label) did not finish").get()
            #expect(summary.ending == .complete, "\(label): \(summary.status.progressLine)")
            #expect(summary.quarantined.isEmpty, "\(label): quarantined \(summary.quarantined)")
            for worker in workerRuns {
                let ending = try #require(worker.wait(seconds: 30), "a worker of \(label) did not stop").get()
                #expect(ending.ending == .shutdown, "\(label): worker ended \(ending.ending)")
            }
            let store = try StudyStore(path: storePath, readOnly: true)
            defer { store.close() }
            return try store.allResults()
        }

        @Test("One trial per task and hundreds per task store bit-identical results, equal to a serial run")
        func taskSizeDoesNotMatter() throws {
            let study = try StudyDescription.parse(Self.studyText)
            let trials = try #require(study.trialIDs)
            let directory = try TemporaryDirectory(prefix: "task-size")
            defer { directory.remove() }

            // Oracle: every trial computed serially, in order, with no coordinator, worker, wire or store.
            // Workers pin OpenBLAS to one thread (WorkerRuntime), and the engine's last bits depend on the BLAS
            // thread count (seen here: deltaPlus, effectiveImbalance, rateConstant differ in the last digits with
            // 2 threads), so the oracle runs pinned the same way. Process-wide, as is the workers' own pinning.
            BLASThreads.set(1)
            let serialExecutor = try StudyExecutor(study: study)
            let serial = try Self.canonical(trials.map { try serialExecutor.run($0) })

            var singleTrialTasks = CoordinatorSettings()
            singleTrialTasks.initialTrialsPerTask = 1
            singleTrialTasks.maxTrialsPerTask = 1
            var largeTasks = CoordinatorSettings()
            largeTasks.initialTrialsPerTask = 60
            largeTasks.minTrialsPerTask = 60
            largeTasks.maxTrialsPerTask = 60
            largeTasks.targetTaskSeconds = 1000

            let small = try Self.canonical(Self.runStudy(study, settings: singleTrialTasks, workers: 2,
                                                         directory: directory, label: "one-per-task"))
            let large = try Self.canonical(Self.runStudy(study, settings: largeTasks, workers: 3,
                                                         directory: directory, label: "sixty-per-task"))
            #expect(small.count == trials.count && large.count == trials.count)
            #expect(small == serial, "1-trial tasks differ from the serial run at \(firstMismatch(small, serial))")
            #expect(large == serial, "60-trial tasks differ from the serial run at \(firstMismatch(large, serial))")
        }
    }
}

/// Index and both values of the first difference of two lists (for messages).
private func firstMismatch(_ a: [String], _ b: [String]) -> String {
    for index in 0..<min(a.count, b.count) where a[index] != b[index] {
        return "#\(index):\n  \(a[index])\n  \(b[index])"
    }
    return a.count == b.count ? "nowhere" : "length \(a.count) vs \(b.count)"
}

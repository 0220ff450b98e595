import Foundation
import GFMCCoordination
import GFMCEngine
import GFMCRuntime
import GFMCStudy

/// Coordinator benchmarks (issue 3): round-trip dispatch throughput with trivial tasks, and the speed-up of 2
/// worker processes over 1 on a CPU-bound study.
public struct BenchCoordinatorMeasurement: Codable, Sendable {
    /// `DispatchBenchmark.run` results: one-trial tasks whose trial returns at once, through the real coordinator
    /// and worker runtimes over loopback TCP, every result committed durably before the next task.
    public var dispatch: [DispatchBenchmark.Result] = []
    /// How the CPU-bound study was run: "processes" (`gfmc run STUDY --workers K`, K worker processes) or
    /// "threads" (coordinator and K single-slot workers in this process, when `gfmc run` is not available).
    public var studyMode: String?
    /// The CPU-bound study (text) and the command line used for it.
    public var studyDescription: String?
    public var studyTrials: Int?
    public var oneWorkerSeconds: [Double] = []
    public var twoWorkerSeconds: [Double] = []
    /// median(1 worker) / median(2 workers).
    public var speedUp: Double? {
        BenchRatio.speedUp(reference: BenchTimingSummary(oneWorkerSeconds)?.median,
                           candidate: BenchTimingSummary(twoWorkerSeconds)?.median)
    }

    public init() {}

    var markdown: [String] {
        var out = ["### Coordinator and workers (issue 3)", ""]
        if !dispatch.isEmpty {
            out.append("Round-trip dispatch with trivial tasks (`DispatchBenchmark`): one trial per task, the trial returns "
                       + "at once; the real coordinator and worker runtimes in one process over loopback TCP; every "
                       + "result is committed to the SQLite store (WAL, synchronous=FULL) before the next task is sent. "
                       + "Wall time includes start-up and the workers' first announcement; each configuration is run twice "
                       + "(start-up varies from run to run).")
            out.append("")
            out.append("| workers × slots | tasks | wall time | tasks/s | per-task overhead |")
            out.append("|---|---:|---:|---:|---:|")
            for d in dispatch {
                out.append("| \(d.workers) × \(d.slotsPerWorker) | \(d.tasks) | \(BenchFormat.seconds(d.seconds)) "
                           + "| \(BenchFormat.sig(d.tasksPerSecond)) | \(BenchFormat.seconds(d.millisecondsPerTask / 1000)) |")
            }
            out.append("")
        }
        if !oneWorkerSeconds.isEmpty || !twoWorkerSeconds.isEmpty {
            out.append("CPU-bound study (\(studyTrials.map(String.init) ?? "?") trials; "
                       + (studyMode == "processes" ? "K worker processes started by `gfmc run`"
                          : "coordinator and K single-slot workers as threads of one process: `gfmc run` was not available")
                       + "): \(studyDescription ?? "")")
            out.append("")
            out.append("| workers | runs | median wall time | min | max |")
            out.append("|---:|---:|---:|---:|---:|")
            for (k, times) in [(1, oneWorkerSeconds), (2, twoWorkerSeconds)] {
                let s = BenchTimingSummary(times)
                out.append("| \(k) | \(times.count) | \(BenchFormat.seconds(s?.median)) | \(BenchFormat.seconds(s?.minimum)) "
                           + "| \(BenchFormat.seconds(s?.maximum)) |")
            }
            out.append("")
            out.append("Speed-up of 2 workers over 1: \(BenchFormat.ratio(speedUp)) (goal ≥ 1.8×).")
        }
        return out
    }
}

/// Failure of the coordinator part; says what failed.
public enum BenchCoordinatorError: Error, CustomStringConvertible {
    case failed(String)

    public var description: String {
        switch self {
        case .failed(let m): return m
        }
    }
}

/// Runs the coordinator measurements.
struct BenchCoordinatorRunner {
    var tasks: Int
    /// Trials per width of the CPU-bound study (20 widths).
    var studyTrialsPerWidth: Int
    var repetitions: Int
    var log: (String) -> Void

    /// The CPU-bound study: the paper's wide-network problem, 20 widths, `sampled` engine, gradient flow.
    static func studyText(trialsPerWidth: Int) -> String {
        """
        {
          "name": "bench-cpu-bound",
          "seed": 53,
          "data": {"recipe": "gaussian", "samples": 100, "input_dim": 400, "output_dim": 1, "noise": 0.01, "data_seed": 530},
          "init": {"kind": "width_scaled", "alpha": 0.5},
          "widths": {"from": 500, "to": 10000, "count": 20, "spacing": "linear"},
          "trials": \(trialsPerWidth),
          "engine": "sampled",
          "method": "flow",
          "deltas": [0.01, 0.05]
        }
        """
    }

    func run(context: CommandContext) throws -> BenchCoordinatorMeasurement {
        var m = BenchCoordinatorMeasurement()
        let directory = NSTemporaryDirectory() + "gfmc-bench-coordinator-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        for (workers, slots) in [(1, 1), (2, 1), (1, 1), (2, 1)] {
            let r = try DispatchBenchmark.run(tasks: tasks, workers: workers, slotsPerWorker: slots, directory: directory)
            log("  dispatch \(workers)×\(slots): \(r.tasks) tasks in \(BenchFormat.seconds(r.seconds)), "
                + "\(BenchFormat.sig(r.tasksPerSecond)) tasks/s")
            m.dispatch.append(r)
        }

        let text = Self.studyText(trialsPerWidth: studyTrialsPerWidth)
        let study: StudyDescription
        do { study = try StudyDescription.parse(text) } catch {
            throw BenchCoordinatorError.failed("the CPU-bound bench study does not validate: \(error)")
        }
        m.studyTrials = study.trialIDs?.count
        let studyPath = directory + "/bench-cpu-bound.json"
        try text.write(toFile: studyPath, atomically: true, encoding: .utf8)
        let useProcesses = GFMCMain.command(named: "run") != nil
        m.studyMode = useProcesses ? "processes" : "threads"
        m.studyDescription = useProcesses
            ? "`gfmc run bench-cpu-bound.json --workers K --out DIR`, the study being 20 widths 500…10 000 × "
              + "\(studyTrialsPerWidth) trials of the wide-network problem, engine sampled, method flow"
            : "20 widths 500…10 000 × \(studyTrialsPerWidth) trials of the wide-network problem, engine sampled, method flow"
        for _ in 0..<repetitions {
            for workers in [1, 2] {
                let seconds = useProcesses
                    ? try runProcesses(studyPath: studyPath, workers: workers, out: directory + "/run-\(workers)-\(UUID().uuidString)")
                    : try runThreads(study: study, workers: workers, directory: directory)
                log("  CPU-bound study, \(workers) worker(s) (\(m.studyMode!)): \(BenchFormat.seconds(seconds))")
                if workers == 1 { m.oneWorkerSeconds.append(seconds) } else { m.twoWorkerSeconds.append(seconds) }
            }
        }
        return m
    }

    /// Wall time of `gfmc run STUDY --workers K --out DIR` as a child process of this executable.
    private func runProcesses(studyPath: String, workers: Int, out: String) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["run", studyPath, "--workers", String(workers), "--out", out]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let (_, seconds) = try BenchClock.measure { () throws -> Void in
            try process.run()
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let tail = String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(5).joined(separator: " | ")
                throw BenchCoordinatorError.failed("gfmc run --workers \(workers) exited with status "
                                                   + "\(process.terminationStatus): \(tail)")
            }
        }
        return seconds
    }

    /// Seconds to completion of the study with a coordinator and `workers` single-slot workers, all threads here.
    private func runThreads(study: StudyDescription, workers: Int, directory: String) throws -> Double {
        guard let trials = study.trialIDs else { throw BenchCoordinatorError.failed("the bench study has no fixed trial list") }
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0",
                                         storePath: directory + "/study-\(UUID().uuidString).sqlite",
                                         study: GFMCCoordination.StudyIdentity(hash: study.identityHash, json: study.canonicalJSON),
                                         trials: trials)
        options.farewellSeconds = 0.2
        let endpoint = BenchBox<String>()
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let coordinator = BenchBackground { try CoordinatorRuntime.run(fixed) }
        var address: String?
        for _ in 0..<4000 where address == nil {
            address = endpoint.get()
            if address == nil { Thread.sleep(forTimeInterval: 0.005) }
        }
        guard let address else { throw BenchCoordinatorError.failed("the coordinator did not start listening") }
        let executor = ClosureTrialExecutor { welcome in
            let e = try StudyExecutor(studyJSON: welcome.studyJSON, expectedHash: welcome.studyHash)
            return { try e.run($0) }
        }
        let runs = (0..<workers).map { _ in
            var w = WorkerOptions(endpoint: address, slots: 1, executor: executor)
            w.giveUpAfterSeconds = 60
            let fixedWorker = w
            return BenchBackground { try WorkerRuntime.run(fixedWorker) }
        }
        let summary = try coordinator.wait()
        for r in runs { _ = try? r.wait() }
        guard summary.ending == .complete, let seconds = summary.completionSeconds else {
            throw BenchCoordinatorError.failed("the CPU-bound study did not complete (\(summary.stopReason ?? "stopped"))")
        }
        return seconds
    }
}

/// A value set from another thread.
final class BenchBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ new: T) { lock.withLock { value = new } }
    func get() -> T? { lock.withLock { value } }
}

/// A throwing body run on its own thread (8 MiB stack), joined by `wait`.
final class BenchBackground<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outcome: Result<T, Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let result = Result { try body() }
            lock.withLock { outcome = result }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func wait() throws -> T {
        done.wait()
        return try lock.withLock { outcome! }.get()
    }
}

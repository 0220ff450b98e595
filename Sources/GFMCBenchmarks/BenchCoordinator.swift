import Foundation
import GFMCCoordination
import GFMCStudy

/// Coordinator benchmarks: round-trip dispatch throughput with trivial tasks, and the speed-up of 2
/// worker processes over 1 on a CPU-bound study.
public struct BenchCoordinatorMeasurement: Codable, Sendable {
    /// `DispatchBenchmark.run` results: one-trial tasks whose trial returns at once, through the real coordinator
    /// and worker runtimes over loopback TCP, every result committed durably before the next task.
    public var dispatch: [DispatchBenchmark.Result] = []
    /// Peers doing the same dispatch work in the same run (`tools/bench/dispatch_baselines.py`).
    public var dispatchBaselines: [DispatchBaseline] = []
    /// Why the peers were not measured (script missing or failing), if so.
    public var dispatchBaselinesSkipped: String?
    /// How the CPU-bound study was run: always "processes" (`gfmc run STUDY --workers K`, K worker processes).
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
        var out = ["### Coordinator and workers", ""]
        if !dispatch.isEmpty {
            out.append("Round-trip dispatch with trivial tasks (`DispatchBenchmark`): one trial per task, the trial returns "
                       + "at once; the real coordinator and worker runtimes in one process over loopback TCP; every "
                       + "result is committed to the SQLite store (WAL, synchronous=FULL, group commit) before it counts. "
                       + "Wall time includes start-up and the workers' first announcement; each configuration is run twice "
                       + "(start-up varies from run to run).")
            out.append("")
            out.append("| workers × slots | prefetch per slot | tasks | wall time | tasks/s | per-task overhead |")
            out.append("|---|---:|---:|---:|---:|---:|")
            for d in dispatch {
                out.append("| \(d.workers) × \(d.slotsPerWorker) | \(d.prefetchPerSlot ?? 0) | \(d.tasks) "
                           + "| \(BenchFormat.seconds(d.seconds)) "
                           + "| \(BenchFormat.sig(d.tasksPerSecond)) | \(BenchFormat.seconds(d.millisecondsPerTask / 1000)) |")
            }
            out.append("")
        }
        out += baselineMarkdown
        if !oneWorkerSeconds.isEmpty || !twoWorkerSeconds.isEmpty {
            out.append("CPU-bound study (\(studyTrials.map(String.init) ?? "?") trials; "
                       + "K worker processes started by `gfmc run`): \(studyDescription ?? "")")
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

/// One peer's dispatch rate (a line of `tools/bench/dispatch_baselines.py`).
public struct DispatchBaseline: Codable, Sendable {
    public var peer: String
    public var tasks: Int?
    public var workers: Int?
    public var seconds: Double?
    public var tasksPerSecond: Double?
    /// Why the peer could not be measured.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case peer, tasks, workers, seconds, error
        case tasksPerSecond = "tasks_per_second"
    }
}

extension BenchCoordinatorMeasurement {
    /// The best gfmc rate with `workers` workers.
    func bestRate(workers: Int) -> Double? {
        dispatch.filter { $0.workers == workers }.map(\.tasksPerSecond).max()
    }

    var baselineMarkdown: [String] {
        if let reason = dispatchBaselinesSkipped { return ["Dispatch peers not measured: \(reason)", ""] }
        if dispatchBaselines.isEmpty { return [] }
        var out = ["Peers doing the same work in the same run (`tools/bench/dispatch_baselines.py`: trivial tasks, "
                   + "2 workers, nothing stored; pyzmq: one task in flight per worker, pyzmq-pipelined: 8):", "",
                   "| peer | tasks | tasks/s | gfmc (2 workers, best) / peer |", "|---|---:|---:|---:|"]
        let gfmc = bestRate(workers: 2)
        for b in dispatchBaselines {
            if let rate = b.tasksPerSecond {
                out.append("| \(b.peer) | \(b.tasks.map(String.init) ?? "?") | \(BenchFormat.sig(rate)) "
                           + "| \(BenchFormat.ratio(gfmc.map { $0 / rate })) |")
            } else {
                out.append("| \(b.peer) | – | not measured: \(b.error ?? "?") | – |")
            }
        }
        out.append("")
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
public struct BenchCoordinatorRunner {
    var tasks: Int
    /// Trials per width of the CPU-bound study (20 widths).
    var studyTrialsPerWidth: Int
    var repetitions: Int
    var log: (String) -> Void

    public init(tasks: Int, studyTrialsPerWidth: Int, repetitions: Int, log: @escaping (String) -> Void) {
        self.tasks = tasks
        self.studyTrialsPerWidth = studyTrialsPerWidth
        self.repetitions = repetitions
        self.log = log
    }

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

    public func run() throws -> BenchCoordinatorMeasurement {
        var m = BenchCoordinatorMeasurement()
        let directory = NSTemporaryDirectory() + "gfmc-bench-coordinator-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // The workers' default prefetch, then 2 × 4 without prefetch (one round trip between a slot's tasks)
        // and with the most.
        let configurations = [(1, 1, 1), (2, 1, 1), (2, 4, 1), (2, 4, 0), (2, 4, WorkerSettings.maxPrefetchPerSlot)]
        for (workers, slots, prefetch) in configurations + configurations {
            let r = try DispatchBenchmark.run(tasks: tasks, workers: workers, slotsPerWorker: slots,
                                              prefetchPerSlot: prefetch, directory: directory)
            log("  dispatch \(workers)×\(slots), prefetch \(prefetch): \(r.tasks) tasks in \(BenchFormat.seconds(r.seconds)), "
                + "\(BenchFormat.sig(r.tasksPerSecond)) tasks/s")
            m.dispatch.append(r)
        }
        do {
            m.dispatchBaselines = try Self.runBaselines(tasks: tasks, workers: 2)
            for b in m.dispatchBaselines {
                log("  peer \(b.peer): " + (b.tasksPerSecond.map { "\(BenchFormat.sig($0)) tasks/s" } ?? b.error ?? "?"))
            }
        } catch {
            m.dispatchBaselinesSkipped = "\(error)"
            log("  dispatch peers not measured: \(error)")
        }

        let text = Self.studyText(trialsPerWidth: studyTrialsPerWidth)
        let study: StudyDescription
        do { study = try StudyDescription.parse(text) } catch {
            throw BenchCoordinatorError.failed("the CPU-bound bench study does not validate: \(error)")
        }
        m.studyTrials = study.totalTrials
        let studyPath = directory + "/bench-cpu-bound.json"
        try text.write(toFile: studyPath, atomically: true, encoding: .utf8)
        m.studyMode = "processes"
        m.studyDescription = "`gfmc run bench-cpu-bound.json --workers K --out DIR`, the study being 20 widths 500…10 000 × "
            + "\(studyTrialsPerWidth) trials of the wide-network problem, engine sampled, method flow"
        for _ in 0..<repetitions {
            for workers in [1, 2] {
                let seconds = try runProcesses(studyPath: studyPath, workers: workers,
                                               out: directory + "/run-\(workers)-\(UUID().uuidString)")
                log("  CPU-bound study, \(workers) worker(s) (\(m.studyMode!)): \(BenchFormat.seconds(seconds))")
                if workers == 1 { m.oneWorkerSeconds.append(seconds) } else { m.twoWorkerSeconds.append(seconds) }
            }
        }
        return m
    }

    /// Runs `tools/bench/dispatch_baselines.py` (relative to the working directory, the repository root), which
    /// installs missing peers from PyPI with pip.
    static func runBaselines(tasks: Int, workers: Int) throws -> [DispatchBaseline] {
        let script = "tools/bench/dispatch_baselines.py"
        guard FileManager.default.fileExists(atPath: script) else {
            throw BenchCoordinatorError.failed("\(script) not found (run from the repository root)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--tasks", String(max(tasks, 1000)), "--workers", String(workers), "--install"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let decoded = lines.compactMap { try? JSONDecoder().decode(DispatchBaseline.self, from: Data($0.utf8)) }
        if decoded.isEmpty {
            throw BenchCoordinatorError.failed("\(script) exited with status \(process.terminationStatus) and no results")
        }
        return decoded
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
}

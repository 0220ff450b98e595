import Foundation

/// Coordinator benchmarks (issue 3): round-trip dispatch throughput with trivial tasks, and the speed-up of 2
/// worker processes over 1 on a CPU-bound study.
public struct BenchCoordinatorMeasurement: Codable, Sendable {
    /// Trivial tasks (one trial each, a trial that does no work) dispatched, computed and recorded.
    public var trivialTasks: Int?
    public var trivialSeconds: Double?
    public var tasksPerSecond: Double? {
        guard let n = trivialTasks, let s = trivialSeconds, s > 0 else { return nil }
        return Double(n) / s
    }
    /// Seconds per task round trip (dispatch, result, durable commit, acknowledgement).
    public var perTaskOverhead: Double? {
        guard let n = trivialTasks, let s = trivialSeconds, n > 0 else { return nil }
        return s / Double(n)
    }
    public var trivialDescription: String?
    /// The CPU-bound study and the command used for it.
    public var studyDescription: String?
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
        if let n = trivialTasks {
            out.append("Round-trip dispatch: \(trivialDescription ?? "")")
            out.append("")
            out.append("| tasks | wall time | tasks/s | per-task overhead |")
            out.append("|---:|---:|---:|---:|")
            out.append("| \(n) | \(BenchFormat.seconds(trivialSeconds)) | \(tasksPerSecond.map(BenchFormat.sig) ?? "–") "
                       + "| \(BenchFormat.seconds(perTaskOverhead)) |")
            out.append("")
        }
        if !oneWorkerSeconds.isEmpty || !twoWorkerSeconds.isEmpty {
            out.append("CPU-bound study: \(studyDescription ?? "")")
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

/// Failure to run the coordinator part; says why.
public enum BenchCoordinatorError: Error, CustomStringConvertible {
    case unavailable(String)
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable(let m): return "not available: \(m)"
        case .failed(let m): return "failed: \(m)"
        }
    }
}

/// Runs the coordinator measurements.
struct BenchCoordinatorRunner {
    var tasks: Int
    var studyTrialsPerWidth: Int
    var log: (String) -> Void

    func run(context: CommandContext) throws -> BenchCoordinatorMeasurement {
        throw BenchCoordinatorError.unavailable("the distributed runtime (GFMCRuntime) has not landed in this build")
    }
}

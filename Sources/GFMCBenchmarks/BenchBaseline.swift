import Foundation
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// One line of `tools/baseline/wide_network.py`'s output (one Python trial), plus what the bench derives.
public struct BenchBaselineRecord: Codable, Sendable {
    /// "gd" (the paper's full-width gradient descent, (a)), "ivp" (SciPy solve_ivp on the full weights, (b)) or
    /// "reduced" (the sampled engine's reduced flow with SciPy's DOP853 stepper, (c)).
    public var method: String
    public var width: Int
    public var trial: Int
    /// Seconds measured by the script around the integration.
    public var seconds: Double
    /// The script's CPU time (`time.thread_time()`) over the same span (nil from scripts that do not report it).
    public var cpuSeconds: Double?
    /// GD iterations or RHS evaluations done.
    public var work: Int
    /// False when the script's per-trial budget stopped the trial.
    public var completed: Bool
    public var secondsPerWork: Double?
    public var finalLoss: Double?
    public var distanceFrobenius: Double?
    /// Filled by the bench: the Gram-form GD's iteration count on the same start (gd only).
    public var swiftIterations: Int?
    /// Filled by the bench: the time of the full run, extrapolated as seconds·swiftIterations/work for a GD trial
    /// the budget stopped; nil for an ivp trial the budget stopped (then `seconds` is a lower bound).
    public var fullSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case method, width, trial, seconds, work, completed
        case cpuSeconds = "cpu_seconds"
        case secondsPerWork = "seconds_per_work"
        case finalLoss = "final_loss"
        case distanceFrobenius = "distance_frobenius"
        case swiftIterations = "swift_iterations"
        case fullSeconds = "full_seconds"
    }

    /// The time this record stands for: measured when completed, extrapolated for a stopped GD, else nil.
    public var effectiveSeconds: Double? { completed ? seconds : fullSeconds }
}

/// Failure to run the Python baseline; names the script, the command or the offending output line.
public enum BenchBaselineError: Error, CustomStringConvertible {
    case scriptMissing(String)
    case failed(command: String, status: Int32)
    case badOutput(line: String, reason: String)

    public var description: String {
        switch self {
        case .scriptMissing(let p): return "baseline script not found: \(p) (run from the repository root or pass --baseline PATH)"
        case .failed(let c, let s): return "baseline command exited with status \(s): \(c)"
        case .badOutput(let l, let r): return "baseline printed a line that is not a trial record (\(r)): \(l)"
        }
    }
}

/// Runs `tools/baseline/wide_network.py` on exactly the data and initial weights gfmc uses (written as `.npy`
/// files to a temporary directory), with `OPENBLAS_NUM_THREADS=1` (and the other BLAS thread variables) so it
/// uses one core, as gfmc's timed trials do.
public struct BenchBaselineRunner {
    public var python: String
    public var script: String
    /// Per-trial budgets handed to the script (`--gd-max-seconds`, `--ivp-max-seconds`).
    public var gdMaxSeconds: Double
    public var ivpMaxSeconds: Double
    public var log: (String) -> Void

    public init(python: String, script: String, gdMaxSeconds: Double, ivpMaxSeconds: Double,
                log: @escaping (String) -> Void) {
        self.python = python
        self.script = script
        self.gdMaxSeconds = gdMaxSeconds
        self.ivpMaxSeconds = ivpMaxSeconds
        self.log = log
    }

    /// Writes X, Y and U0/V0 of trials 0..<trials at each width into a fresh temporary directory and runs the
    /// script once per method (so progress shows between them). GD records get `swiftIterations` and, when
    /// stopped by the budget, `fullSeconds` from `iterations(id)`. The "reduced" method gets the reduced problem
    /// (Σx^{1/2} as `sqrt_sigma.npy`, Ỹ as `Ytilde.npy`) and the starts the `sampled` engine draws for trials
    /// 0..<reducedTrials (default `trials`), K_r(0) as `K0_h{h}_t{i}.npy` and C(0) as `C0_h{h}_t{i}.npy`.
    public func run(network: BenchWideNetwork, methods: [String], widths: [Int], trials: Int, reducedTrials: Int? = nil,
                    iterations: (TrialID) throws -> Int) throws -> [BenchBaselineRecord] {
        guard FileManager.default.fileExists(atPath: script) else { throw BenchBaselineError.scriptMissing(script) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gfmc-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try BenchNPYWriter.write(network.problem.x, to: directory.appendingPathComponent("X.npy").path)
        try BenchNPYWriter.write(network.problem.y, to: directory.appendingPathComponent("Y.npy").path)
        if methods.contains(where: { $0 != "reduced" }) {
            for width in widths {
                for index in 0..<trials {
                    let (u, v) = try network.initialWeights(width: width, index: index)
                    try BenchNPYWriter.write(u, to: directory.appendingPathComponent("U0_h\(width)_t\(index).npy").path)
                    try BenchNPYWriter.write(v, to: directory.appendingPathComponent("V0_h\(width)_t\(index).npy").path)
                }
            }
        }
        let reducedCount = reducedTrials ?? trials
        if methods.contains("reduced") {
            let problem = network.problem
            let sqrtSigma = Matrix(rows: problem.rank, cols: 1, columnMajor: problem.sigmaX.map { $0.squareRoot() })
            try BenchNPYWriter.write(sqrtSigma, to: directory.appendingPathComponent("sqrt_sigma.npy").path)
            try BenchNPYWriter.write(problem.yTilde, to: directory.appendingPathComponent("Ytilde.npy").path)
            for width in widths {
                for index in 0..<reducedCount {
                    let start = network.sampledStart(width: width, index: index)
                    try BenchNPYWriter.write(start.gram, to: directory.appendingPathComponent("K0_h\(width)_t\(index).npy").path)
                    try BenchNPYWriter.write(start.nullSpaceCoupling,
                                             to: directory.appendingPathComponent("C0_h\(width)_t\(index).npy").path)
                }
            }
        }
        var records: [BenchBaselineRecord] = []
        for method in methods {
            let arguments = [script, "--data-dir", directory.path, "--methods", method,
                             "--widths"] + widths.map(String.init) + [
                             "--trials", String(method == "reduced" ? reducedCount : trials),
                             "--gd-max-seconds", String(gdMaxSeconds), "--ivp-max-seconds", String(ivpMaxSeconds)]
            log("  python3 \(arguments.joined(separator: " "))")
            let output = try Self.execute(python, arguments)
            for line in output.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                var record = try Self.parse(String(line))
                if record.method == "gd" {
                    let needed = try iterations(TrialID(width: record.width, index: record.trial))
                    record.swiftIterations = needed
                    if !record.completed {
                        record.fullSeconds = BenchRatio.extrapolate(seconds: record.seconds, done: record.work,
                                                                    needed: needed)
                    }
                }
                log("  baseline \(record.method) h=\(record.width) #\(record.trial): "
                    + "\(BenchFormat.seconds(record.seconds)), \(record.work) \(record.method == "gd" ? "iterations" : "RHS")"
                    + (record.completed ? "" : " (stopped by budget" + (record.fullSeconds.map { "; full run ≈ \(BenchFormat.seconds($0))" } ?? "") + ")"))
                records.append(record)
            }
        }
        return records
    }

    /// Parses one JSON line of the script.
    public static func parse(_ line: String) throws -> BenchBaselineRecord {
        do {
            return try JSONDecoder().decode(BenchBaselineRecord.self, from: Data(line.utf8))
        } catch {
            throw BenchBaselineError.badOutput(line: line, reason: "\(error)")
        }
    }

    /// Runs `executable` (looked up on PATH through /usr/bin/env) with one-thread BLAS; returns its stdout.
    /// Its stderr goes to ours.
    static func execute(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[key] = "1" }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchBaselineError.failed(command: ([executable] + arguments).joined(separator: " "),
                                            status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

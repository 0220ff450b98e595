import Foundation
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// The time of one benchmarked trial.
public struct BenchTrialTiming: Codable, Sendable {
    public var index: Int
    /// Seconds for the whole trial (`TrialRunner.run`: initial draws, integration, every reported quantity);
    /// extrapolated when `extrapolated` is true.
    public var seconds: Double
    /// Seconds actually measured (equal to `seconds` unless extrapolated; then both cut runs together).
    public var measuredSeconds: Double
    /// CPU time of the timing thread for the measured run (nil when extrapolated, or in reports written before
    /// it was recorded). BLAS runs on that thread (one BLAS thread), so this is the trial's whole CPU time.
    public var cpuSeconds: Double?
    /// True when the full run was predicted to exceed the per-trial budget and was not run: `seconds` is then the
    /// fit of two runs cut at steps/5 and `steps` iterations (fixed cost + cost per iteration, see
    /// `BenchRatio.extrapolate(shortSeconds:…)`) evaluated at `iterationsNeeded`.
    public var extrapolated: Bool
    /// Iterations the full run needs (from the Gram-form GD of the same start), when extrapolated.
    public var iterationsNeeded: Int?
    public var steps: Int
    public var rhsEvaluations: Int
    public var converged: Bool
    public var stopReason: StopReason
    public var distanceFrobenius: Double?

    public init(index: Int, seconds: Double, measuredSeconds: Double? = nil, extrapolated: Bool = false,
                iterationsNeeded: Int? = nil, steps: Int, rhsEvaluations: Int, converged: Bool, stopReason: StopReason,
                distanceFrobenius: Double? = nil, cpuSeconds: Double? = nil) {
        self.index = index
        self.seconds = seconds
        self.measuredSeconds = measuredSeconds ?? seconds
        self.cpuSeconds = cpuSeconds
        self.extrapolated = extrapolated
        self.iterationsNeeded = iterationsNeeded
        self.steps = steps
        self.rhsEvaluations = rhsEvaluations
        self.converged = converged
        self.stopReason = stopReason
        self.distanceFrobenius = distanceFrobenius
    }
}

/// Timings of one engine case at one width.
public struct BenchEngineMeasurement: Codable, Sendable {
    public var engineCase: BenchEngineCase
    public var width: Int
    public var trials: [BenchTrialTiming]
    /// Summary of `trials[].seconds`.
    public var seconds: BenchTimingSummary?
    public var anyExtrapolated: Bool { trials.contains { $0.extrapolated } }
    public var allConverged: Bool { trials.allSatisfy { $0.converged || $0.extrapolated } }
    public var medianSteps: Double? { BenchTimingSummary(trials.map { Double($0.extrapolated ? ($0.iterationsNeeded ?? $0.steps) : $0.steps) })?.median }
    public init(engineCase: BenchEngineCase, width: Int, trials: [BenchTrialTiming]) {
        self.engineCase = engineCase
        self.width = width
        self.trials = trials
        seconds = BenchTimingSummary(trials.map(\.seconds))
    }

    /// Summary of the measured trials' CPU times (nil if any trial lacks one).
    public var cpuSeconds: BenchTimingSummary? {
        let times = trials.compactMap(\.cpuSeconds)
        return times.count == trials.count ? BenchTimingSummary(times) : nil
    }

    public var medianRHS: Double? { BenchTimingSummary(trials.filter { !$0.extrapolated }.map { Double($0.rhsEvaluations) })?.median }
}

/// Times the engines of `gfmc bench` on the wide-network problem; caches the GD iteration counts (from the
/// cheap Gram-form GD) that the weights-form GD and the Python GD extrapolate with.
public final class BenchEngineTimer {
    public let network: BenchWideNetwork
    /// A weights-form GD trial whose predicted time exceeds this is cut at `calibrationIterations` and
    /// extrapolated (seconds).
    public let maxTrialSeconds: Double
    public let calibrationIterations: Int
    private let log: (String) -> Void
    private var gdIterations: [TrialID: Int] = [:]

    public init(network: BenchWideNetwork, maxTrialSeconds: Double, calibrationIterations: Int = 500,
                log: @escaping (String) -> Void) {
        self.network = network
        self.maxTrialSeconds = maxTrialSeconds
        self.calibrationIterations = calibrationIterations
        self.log = log
    }

    /// Iterations the paper's GD needs from trial `id`'s explicit start, computed with the Gram-form GD
    /// (identical iterates up to rounding, cost independent of h) and cached.
    public func gradientDescentIterations(_ id: TrialID) throws -> Int {
        if let k = gdIterations[id] { return k }
        let result = try network.runner(engine: .gram, settings: BenchWideNetwork.gradientDescentSettings).run(id)
        gdIterations[id] = result.steps
        return result.steps
    }

    /// Times the integration alone (`GramEngine.integrate`, what the NumPy/SciPy reduction's timer covers) of the
    /// sampled flow case `engineCase` from the starts K_r(0) of trials 0..<repetitions at `width`: no initial draws,
    /// no reported quantities. The distance ‖C(0) Φ_Vᵀ‖_F is computed outside the timer.
    /// - Throws: `ProblemError` from the engine (not expected for these starts).
    public func measureIntegration(_ engineCase: BenchEngineCase, width: Int, repetitions: Int) throws
        -> BenchEngineMeasurement {
        precondition(engineCase.isSampledFlow, "the integration alone is measured for the sampled flows")
        let problem = network.problem, r = problem.rank, d = problem.rank + problem.outputDimension
        var trials: [BenchTrialTiming] = []
        for index in 0..<repetitions {
            let start = network.sampledStart(width: width, index: index)
            let (run, seconds, cpuSeconds) = try BenchClock.measureWithCPU {
                try GramEngine.integrate(problem: problem, reducedGram: start.gram, settings: engineCase.settings)
            }
            let phiV = run.transition.block(rows: r..<d, cols: 0..<d)
            let distance = start.nullSpaceCoupling.times(phiV, transposeOther: true).frobeniusNorm
            log("  \(engineCase.rawValue) integration alone h=\(width) #\(index): \(BenchFormat.seconds(seconds)) "
                + "(CPU \(BenchFormat.seconds(cpuSeconds))), \(run.outcome.rhsEvaluations) RHS")
            trials.append(BenchTrialTiming(index: index, seconds: seconds, steps: run.outcome.steps,
                                           rhsEvaluations: run.outcome.rhsEvaluations, converged: run.outcome.converged,
                                           stopReason: StopReason(rawValue: run.outcome.stopReason) ?? .numericalError,
                                           distanceFrobenius: distance, cpuSeconds: cpuSeconds))
        }
        return BenchEngineMeasurement(engineCase: engineCase, width: width, trials: trials)
    }

    /// Runs one untimed trial of `engineCase`, capped at 50 steps (warms caches, BLAS and allocators).
    public func warmUp(_ engineCase: BenchEngineCase, width: Int) throws {
        var settings = engineCase.settings
        settings.maxSteps = 50
        _ = try network.runner(engine: engineCase.engine, settings: settings).run(TrialID(width: width, index: 999_999))
    }

    /// Times `repetitions` trials (indices 0..<repetitions) of `engineCase` at `width`.
    public func measure(_ engineCase: BenchEngineCase, width: Int, repetitions: Int) throws -> BenchEngineMeasurement {
        var trials: [BenchTrialTiming] = []
        for index in 0..<repetitions {
            let id = TrialID(width: width, index: index)
            let timing = try time(engineCase, id)
            if engineCase == .gramGD, !timing.extrapolated {
                gdIterations[id] = timing.steps
            }
            log("  \(engineCase.rawValue) h=\(width) #\(index): \(BenchFormat.seconds(timing.seconds))"
                + (timing.cpuSeconds.map { " (CPU \(BenchFormat.seconds($0)))" } ?? "")
                + (timing.extrapolated ? " (extrapolated from runs cut at \(max(1, timing.steps / 5)) and \(timing.steps) iterations)" : "")
                + ", \(timing.steps) steps, \(timing.stopReason.rawValue)")
            trials.append(timing)
        }
        return BenchEngineMeasurement(engineCase: engineCase, width: width, trials: trials)
    }

    private func time(_ engineCase: BenchEngineCase, _ id: TrialID) throws -> BenchTrialTiming {
        if engineCase == .weightsGD {
            // Two runs cut at K/5 and K iterations give a fixed cost and a cost per iteration; if the full run
            // is predicted to exceed the budget it is not run and the fit stands for it.
            let needed = try gradientDescentIterations(id)
            let long = max(2, min(calibrationIterations, needed)), short = max(1, long / 5)
            func cut(_ iterations: Int) throws -> (TrialResult, Double) {
                var capped = engineCase.settings
                capped.maxSteps = iterations
                let runner = try network.runner(engine: .weights, settings: capped)
                return try BenchClock.measure { try runner.run(id) }
            }
            let (_, shortSeconds) = try cut(short)
            let (calibration, longSeconds) = try cut(long)
            if calibration.converged {
                return BenchTrialTiming(index: id.index, seconds: longSeconds, measuredSeconds: longSeconds,
                                        extrapolated: false, iterationsNeeded: nil, steps: calibration.steps,
                                        rhsEvaluations: calibration.rhsEvaluations, converged: true,
                                        stopReason: calibration.stopReason,
                                        distanceFrobenius: calibration.distanceFrobenius)
            }
            let predicted = BenchRatio.extrapolate(shortSeconds: shortSeconds, shortIterations: short,
                                                   longSeconds: longSeconds, longIterations: calibration.steps,
                                                   needed: needed) ?? .infinity
            if predicted > maxTrialSeconds {
                return BenchTrialTiming(index: id.index, seconds: predicted, measuredSeconds: shortSeconds + longSeconds,
                                        extrapolated: true, iterationsNeeded: needed, steps: calibration.steps,
                                        rhsEvaluations: calibration.rhsEvaluations, converged: false,
                                        stopReason: calibration.stopReason, distanceFrobenius: nil)
            }
        }
        let runner = try network.runner(engine: engineCase.engine, settings: engineCase.settings)
        let (result, seconds, cpuSeconds) = try BenchClock.measureWithCPU { try runner.run(id) }
        return BenchTrialTiming(index: id.index, seconds: seconds, measuredSeconds: seconds, extrapolated: false,
                                iterationsNeeded: nil, steps: result.steps, rhsEvaluations: result.rhsEvaluations,
                                converged: result.converged, stopReason: result.stopReason,
                                distanceFrobenius: result.distanceFrobenius.isFinite ? result.distanceFrobenius : nil,
                                cpuSeconds: cpuSeconds)
    }
}

/// Number formatting shared by the bench tables.
public enum BenchFormat {
    /// Seconds with a unit that keeps 3 significant digits: "812 µs", "12.3 ms", "4.56 s".
    public static func seconds(_ s: Double?) -> String {
        guard let s, s.isFinite else { return "–" }
        if s < 1e-3 { return sig(s * 1e6) + " µs" }
        if s < 1 { return sig(s * 1e3) + " ms" }
        return sig(s) + " s"
    }

    /// A ratio like "1234×" or "1.27×".
    public static func ratio(_ r: Double?) -> String {
        guard let r, r.isFinite else { return "–" }
        return sig(r) + "×"
    }

    /// 3 significant digits, no exponent for values in [1e-3, 1e7).
    public static func sig(_ x: Double) -> String {
        guard x.isFinite else { return "–" }
        let a = abs(x)
        if a == 0 { return "0" }
        if a >= 1e7 || a < 1e-3 { return String(format: "%.2e", x) }
        if a >= 100 { return String(format: "%.0f", x) }
        if a >= 10 { return String(format: "%.1f", x) }
        if a >= 1 { return String(format: "%.2f", x) }
        return String(format: "%.3g", x)
    }

    /// "±12%" (half the relative spread).
    public static func spread(_ summary: BenchTimingSummary?) -> String {
        guard let summary, summary.count > 1 else { return "–" }
        return "±" + String(format: "%.0f", 50 * summary.relativeSpread) + "%"
    }
}

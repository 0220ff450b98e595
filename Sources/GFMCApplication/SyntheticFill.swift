import Foundation
import GFMCModel
import GFMCStore
import GFMCStudy

/// Fills a run directory's store with synthetic trial results, for measuring reports and stores at sizes a
/// real run would take too long to reach (tools/bench). Every result is a valid `TrialResult` of the study's
/// shape (engine, method, one bound check per δ) whose values are a deterministic function of
/// (seed, width, index): distance ≈ 2·h^{−1/2}·e^{0.2 z}, every 9th trial not converged, a finite rate pair.
/// The numbers are not gradient-flow results; only their shape and volume are realistic.
public enum SyntheticFill {
    /// Records `trialsPerWidth` trials at each of `study`'s widths (indices 0…n−1), in transactions of
    /// `batch` results. Trials already stored are kept (idempotent). The store records `study` with
    /// `trials = trialsPerWidth` when it has a fixed trial count (a report covers only the study's trials), and
    /// `study` itself when it has precision targets.
    /// - Returns: the number of trials newly recorded.
    @discardableResult
    public static func fill(directory: RunDirectory, study: StudyDescription, trialsPerWidth: Int,
                            seed: UInt64 = 1, batch: Int = 20_000) throws -> Int {
        try directory.create()
        let store = try StudyStore(path: directory.storePath)
        defer { store.close() }
        let recorded = study.trials == nil ? study
            : study.resized(widths: study.widths, trials: trialsPerWidth, precision: nil)
        try store.initialize(studyHash: recorded.identityHash, resolvedStudyJSON: recorded.canonicalJSON,
                             version: GFMCVersion.current)
        let engine = RunDirectoryReport.manifest(for: study).engine
        var inserted = 0
        var pending: [TrialResult] = []
        pending.reserveCapacity(batch)
        for width in study.widths {
            for index in 0..<trialsPerWidth {
                pending.append(trial(width: width, index: index, seed: seed, engine: engine,
                                     method: study.method.rawValue, deltas: study.deltas))
                if pending.count == batch {
                    inserted += try store.record(pending, worker: "synthetic-fill", attempt: 1)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        inserted += try store.record(pending, worker: "synthetic-fill", attempt: 1)
        return inserted
    }

    /// One synthetic result (pure).
    public static func trial(width h: Int, index i: Int, seed: UInt64, engine: String, method: String,
                             deltas: [Double]) -> TrialResult {
        var generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: h) &* 0xBF58_476D_1CE4_E5B9
            ^ UInt64(truncatingIfNeeded: i) &* 0x94D0_49BB_1331_11EB)
        func uniform() -> Double { (Double(generator.next() >> 11) + 0.5) * 0x1p-53 }  // in (0, 1): log-safe
        func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
        var t = TrialResult(id: TrialID(width: h, index: i), engine: engine, method: method)
        let scale = 2 / Double(h).squareRoot()
        let d = scale * exp(0.2 * normal())
        t.converged = i % 9 != 8
        t.stopReason = t.converged ? .converged : .maxSteps
        t.steps = 200 + Int(40 * uniform())
        t.rhsEvaluations = 6 * t.steps + 1
        t.finalTime = 10 + 5 * uniform()
        t.wallSeconds = 0.008 * (1 + 0.1 * uniform())
        t.distanceFrobenius = t.converged ? d : 10 * d
        t.distanceOperator = 0.7 * t.distanceFrobenius
        t.distanceFrobeniusDirect = .nan
        t.distanceOperatorDirect = .nan
        t.initialNullSpaceCoupling = 0.9 * d * (1 + 0.1 * normal())
        t.initialLoss = 3 + uniform()
        t.finalLoss = t.converged ? 1e-13 * uniform() : 1e-3
        t.optimalLoss = 0.004 + 1e-4 * uniform()
        t.effectiveImbalance = Double(h).squareRoot() * (1 + 0.1 * normal())
        t.deltaPlus = 0.1 * uniform()
        t.deltaMinus = 0.2 * uniform()
        t.margin = 0.3 + uniform()
        t.rateConstant = 2.5 + uniform()
        t.theorem3Rate = 2.5 + 0.1 * uniform()
        t.measuredRate = t.theorem3Rate * (1.5 + uniform())
        t.theorem3Holds = t.measuredRate >= t.theorem3Rate
        t.imbalanceDrift = 1e-12 * uniform()
        t.lemma33Holds = uniform() < 0.97
        t.lemma34Quantity = 0.8 * d
        t.lemma35Quantity = 0.1 * d
        t.predictedDistance = scale * 1.01
        t.bounds = deltas.map { delta in
            let bound = 0.7 * scale * (1 + 0.06 * log(2 / delta))
            let corrected = 0.7 * scale * (1 + 0.12 * log(2 / delta).squareRoot())
            return BoundCheck(delta: delta, lemma34Bound: bound, lemma34Holds: t.lemma34Quantity <= bound,
                              lemma35Bound: bound / 3, lemma35Holds: t.lemma35Quantity <= bound / 3,
                              theorem12Bound: bound, theorem12Holds: t.distanceOperator <= bound,
                              theorem12BoundCorrected: corrected,
                              theorem12CorrectedHolds: t.distanceOperator <= corrected,
                              theorem12WidthThreshold: 250, widthExceedsThreshold: h > 250)
        }
        return t
    }
}

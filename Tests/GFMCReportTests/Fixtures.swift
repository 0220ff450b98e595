import Foundation
import GFMCModel
import GFMCReport
import GFMCTestSupport

enum Fixtures {
    static let deltas = [0.05, 0.01]
    static let widths = [100, 400, 1600, 6400]

    static func manifest(name: String = "synthetic study", alpha: Double? = 0.5) -> ReportManifest {
        ReportManifest(studyName: name, studyHash: "0123456789abcdef0123", gfmcVersion: "0.1.0-test", seed: 42,
                       engine: "sampled", method: "flow", alpha: alpha, deltas: deltas, widths: widths,
                       plannedTrialsPerWidth: 40, resolvedStudy: "{\"name\": \"synthetic study\", \"widths\": [100, 400]}")
    }

    /// Synthetic trials: distance ≈ 2·h^{−1/2}·e^{0.2 ε} (so the true exponent is −1/2), operator norm 0.7×
    /// that, a Theorem 12 bound of 1.4·h^{−1/2}·(1 + 0.06·log(2/δ)) that fails for the largest ~10 % of draws, every 9th trial
    /// not converged (with a huge distance that must not enter the distance statistics).
    static func trials(perWidth: Int = 40, seed: UInt64 = 1) -> [TrialResult] {
        var rng = SeededGenerator(seed: seed)
        var out: [TrialResult] = []
        for h in widths {
            for i in 0..<perWidth {
                var t = TrialResult(id: TrialID(width: h, index: i), engine: "sampled", method: "flow")
                let scale = 2 / Double(h).squareRoot()
                let d = scale * exp(0.2 * rng.normal())
                t.converged = i % 9 != 8
                t.stopReason = t.converged ? .converged : .maxSteps
                t.steps = 100 + i
                t.rhsEvaluations = 600 + 6 * i
                t.finalTime = 12.5 + Double(i) / 7
                t.wallSeconds = rng.uniform()
                t.distanceFrobenius = t.converged ? d : 1e6
                t.distanceOperator = t.converged ? 0.7 * d : 1e6
                t.distanceFrobeniusDirect = .nan
                t.distanceOperatorDirect = .nan
                t.initialNullSpaceCoupling = 0.9 * d
                t.initialLoss = 3.2
                t.finalLoss = 1e-9
                t.optimalLoss = 0
                t.effectiveImbalance = Double(h).squareRoot() * (1 + 0.1 * rng.normal())
                t.deltaPlus = 0.1
                t.deltaMinus = 0.2
                t.margin = 0.3
                t.rateConstant = 2.5
                t.theorem3Rate = 2.5 + 0.1 * rng.uniform()
                t.measuredRate = t.theorem3Rate * (1.5 + rng.uniform())
                t.theorem3Holds = i % 13 != 5
                t.imbalanceDrift = 1e-12
                t.lemma33Holds = i % 11 != 3
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
                out.append(t)
            }
        }
        return out
    }
}

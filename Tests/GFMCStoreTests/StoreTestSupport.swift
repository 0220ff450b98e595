import Foundation
import GFMCModel
import GFMCStore

func temporaryStorePath() throws -> (directory: URL, path: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return (dir, dir.appendingPathComponent("study.sqlite").path)
}

/// A result whose fields are all set to values derived from its identity (no NaN).
func sampleResult(width: Int, index: Int, converged: Bool = true) -> TrialResult {
    var r = TrialResult(id: TrialID(width: width, index: index), engine: "weights", method: "flow")
    let base = Double(width) + Double(index) / 1000
    r.converged = converged
    r.stopReason = converged ? .converged : .maxSteps
    r.steps = 100 + index
    r.rhsEvaluations = 600 + index
    for (offset, path) in doubleFields.enumerated() { r[keyPath: path] = base / Double(offset + 3) }
    r.theorem3Holds = index % 2 == 0
    r.lemma33Holds = true
    var bound = BoundCheck(delta: 0.05, lemma34Bound: 1, lemma34Holds: true, lemma35Bound: 2, lemma35Holds: false,
                           theorem12Bound: 3, theorem12Holds: true, theorem12BoundCorrected: 4,
                           theorem12CorrectedHolds: true, theorem12WidthThreshold: 5, widthExceedsThreshold: false)
    bound.lemma34Bound = base / 7
    r.bounds = [bound, bound]
    return r
}

/// Every `Double` field of `TrialResult` (top level).
nonisolated(unsafe) let doubleFields: [WritableKeyPath<TrialResult, Double>] = [
    \.finalTime, \.wallSeconds, \.distanceFrobenius, \.distanceOperator, \.distanceFrobeniusDirect,
    \.distanceOperatorDirect, \.initialNullSpaceCoupling, \.initialLoss, \.finalLoss, \.optimalLoss,
    \.effectiveImbalance, \.deltaPlus, \.deltaMinus, \.margin, \.rateConstant, \.theorem3Rate, \.measuredRate,
    \.imbalanceDrift, \.lemma34Quantity, \.lemma35Quantity, \.predictedDistance,
]

/// Every `Double` field of `BoundCheck`.
nonisolated(unsafe) let boundDoubleFields: [WritableKeyPath<BoundCheck, Double>] = [
    \.delta, \.lemma34Bound, \.lemma35Bound, \.theorem12Bound, \.theorem12BoundCorrected,
    \.theorem12WidthThreshold,
]

/// Bit-exact equality of doubles, NaN matching any NaN.
func sameBits(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

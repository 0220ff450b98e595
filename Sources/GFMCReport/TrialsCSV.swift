import Foundation
import GFMCModel

/// trials.csv: one row per distinct trial (duplicates dropped as in `TrialSet`), sorted by width then trial
/// index, with a header row. Every TrialResult field except `wallSeconds` (not reproducible) is a column;
/// each BoundCheck is flattened per δ of the manifest with the suffix `_d<δ>` (e.g. `theorem12_bound_d0.05`).
/// Numbers use Swift's shortest round-trip `description` ("nan", "inf" for non-finite values), booleans
/// "true"/"false", so the file is bit-identical across runs and machines. Text fields are quoted only when
/// they contain a comma, quote or line break (RFC 4180). A trial lacking the bound check for some δ has empty
/// cells there. Lines end with "\n".
public enum TrialsCSV {
    /// Columns before the per-δ block, in order.
    public static let baseColumns = [
        "width", "trial", "engine", "method", "converged", "stop_reason", "steps", "rhs_evaluations",
        "final_time", "distance_frobenius", "distance_operator", "distance_frobenius_direct",
        "distance_operator_direct", "initial_null_space_coupling", "initial_loss", "final_loss", "optimal_loss",
        "effective_imbalance", "delta_plus", "delta_minus", "margin", "rate_constant", "theorem3_rate",
        "measured_rate", "theorem3_holds", "imbalance_drift", "lemma33_holds", "lemma34_quantity",
        "lemma35_quantity", "predicted_distance",
    ]

    /// Per-δ column stems, each followed by `_d<δ>`.
    public static let boundColumnStems = [
        "lemma34_bound", "lemma34_holds", "lemma35_bound", "lemma35_holds", "theorem12_bound", "theorem12_holds",
        "theorem12_bound_corrected", "theorem12_corrected_holds", "theorem12_width_threshold",
        "width_exceeds_threshold",
    ]

    public static func header(deltas: [Double]) -> [String] {
        baseColumns + deltas.flatMap { d in boundColumnStems.map { "\($0)_d\(d)" } }
    }

    public static func make(trials: [TrialResult], deltas: [Double]) -> String {
        var out = header(deltas: deltas).joined(separator: ",") + "\n"
        for t in TrialSet(trials).trials {
            out += row(t, deltaCount: deltas.count).joined(separator: ",") + "\n"
        }
        return out
    }

    static func row(_ t: TrialResult, deltaCount: Int) -> [String] {
        var cells: [String] = [
            String(t.id.width), String(t.id.index), text(t.engine), text(t.method), String(t.converged),
            text(t.stopReason.rawValue), String(t.steps), String(t.rhsEvaluations), num(t.finalTime),
            num(t.distanceFrobenius), num(t.distanceOperator), num(t.distanceFrobeniusDirect),
            num(t.distanceOperatorDirect), num(t.initialNullSpaceCoupling), num(t.initialLoss), num(t.finalLoss),
            num(t.optimalLoss), num(t.effectiveImbalance), num(t.deltaPlus), num(t.deltaMinus), num(t.margin),
            num(t.rateConstant), num(t.theorem3Rate), num(t.measuredRate), String(t.theorem3Holds),
            num(t.imbalanceDrift), String(t.lemma33Holds), num(t.lemma34Quantity), num(t.lemma35Quantity),
            num(t.predictedDistance),
        ]
        for i in 0..<deltaCount {
            if i < t.bounds.count {
                let b = t.bounds[i]
                cells += [num(b.lemma34Bound), String(b.lemma34Holds), num(b.lemma35Bound), String(b.lemma35Holds),
                          num(b.theorem12Bound), String(b.theorem12Holds), num(b.theorem12BoundCorrected),
                          String(b.theorem12CorrectedHolds), num(b.theorem12WidthThreshold),
                          String(b.widthExceedsThreshold)]
            } else {
                cells += Array(repeating: "", count: boundColumnStems.count)
            }
        }
        return cells
    }

    static func num(_ x: Double) -> String { x.description }

    static func text(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

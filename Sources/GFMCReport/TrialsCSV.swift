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
        var out = Array((header(deltas: deltas).joined(separator: ",") + "\n").utf8)
        for t in TrialSet(trials).trials { appendRow(t, deltaCount: deltas.count, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The rows of `trials`, in order, cut into `pieces` consecutive pieces formatted concurrently (one
    /// thread each); concatenated they are exactly the rows `appendRow` writes one after the other.
    public static func rows(_ trials: ArraySlice<TrialResult>, deltaCount: Int, pieces: Int) -> [[UInt8]] {
        let pieces = max(1, min(pieces, trials.count))
        var output = [[UInt8]](repeating: [], count: pieces)
        output.withUnsafeMutableBufferPointer { slots in
            let slots = SendableSlots(base: slots)
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                let lower = trials.startIndex + trials.count * piece / pieces
                let upper = trials.startIndex + trials.count * (piece + 1) / pieces
                var bytes: [UInt8] = []
                bytes.reserveCapacity((upper - lower) * 700)
                for t in trials[lower..<upper] { appendRow(t, deltaCount: deltaCount, to: &bytes) }
                slots.base[piece] = bytes
            }
        }
        return output
    }

    /// The output slots of `rows`: each concurrent iteration writes only its own slot (`@unchecked Sendable` on
    /// that rule; the buffer outlives the iterations).
    private struct SendableSlots: @unchecked Sendable {
        let base: UnsafeMutableBufferPointer<[UInt8]>
    }

    /// Appends one trial's row, with its line end, as UTF-8 bytes (the hot path of large reports: no
    /// intermediate strings but the numbers' shortest round-trip texts).
    public static func appendRow(_ t: TrialResult, deltaCount: Int, to out: inout [UInt8]) {
        var row = RowWriter(out: out)
        out = []
        row.integer(t.id.width); row.integer(t.id.index); row.text(t.engine); row.text(t.method)
        row.boolean(t.converged); row.text(t.stopReason.rawValue); row.integer(t.steps)
        row.integer(t.rhsEvaluations)
        row.number(t.finalTime); row.number(t.distanceFrobenius); row.number(t.distanceOperator)
        row.number(t.distanceFrobeniusDirect); row.number(t.distanceOperatorDirect)
        row.number(t.initialNullSpaceCoupling); row.number(t.initialLoss); row.number(t.finalLoss)
        row.number(t.optimalLoss); row.number(t.effectiveImbalance); row.number(t.deltaPlus)
        row.number(t.deltaMinus); row.number(t.margin); row.number(t.rateConstant); row.number(t.theorem3Rate)
        row.number(t.measuredRate)
        row.boolean(t.theorem3Holds); row.number(t.imbalanceDrift); row.boolean(t.lemma33Holds)
        row.number(t.lemma34Quantity); row.number(t.lemma35Quantity); row.number(t.predictedDistance)
        for i in 0..<deltaCount {
            if i < t.bounds.count {
                let b = t.bounds[i]
                row.number(b.lemma34Bound); row.boolean(b.lemma34Holds); row.number(b.lemma35Bound)
                row.boolean(b.lemma35Holds); row.number(b.theorem12Bound); row.boolean(b.theorem12Holds)
                row.number(b.theorem12BoundCorrected); row.boolean(b.theorem12CorrectedHolds)
                row.number(b.theorem12WidthThreshold); row.boolean(b.widthExceedsThreshold)
            } else {
                for _ in boundColumnStems { row.empty() }
            }
        }
        row.out.append(UInt8(ascii: "\n"))
        out = row.out
    }

    /// Writes the cells of one row, with a comma before every cell but the first.
    struct RowWriter {
        var out: [UInt8]
        var first = true

        mutating func separate() {
            if first { first = false } else { out.append(UInt8(ascii: ",")) }
        }

        mutating func empty() { separate() }

        /// Decimal digits (a short string: Swift keeps it inline, no allocation).
        mutating func integer(_ n: Int) {
            separate()
            out.append(contentsOf: String(n).utf8)
        }

        /// "true" or "false" (byte by byte: appending a shared array costs a retain and release per cell).
        mutating func boolean(_ b: Bool) {
            separate()
            if b {
                out.append(UInt8(ascii: "t")); out.append(UInt8(ascii: "r")); out.append(UInt8(ascii: "u"))
            } else {
                out.append(UInt8(ascii: "f")); out.append(UInt8(ascii: "a")); out.append(UInt8(ascii: "l"))
                out.append(UInt8(ascii: "s"))
            }
            out.append(UInt8(ascii: "e"))
        }

        /// Swift's shortest round-trip `description` ("nan", "inf", "-inf" for non-finite values).
        mutating func number(_ x: Double) {
            separate()
            ShortestDecimal.append(x, to: &out)
        }

        /// Quoted only when it holds a comma, quote or line break (RFC 4180).
        mutating func text(_ s: String) {
            separate()
            out.append(contentsOf: TrialsCSV.text(s).utf8)
        }
    }

    static func text(_ s: String) -> String {
        // Bytes, not Characters: these four are ASCII, and "\r\n" is one Character but two bytes.
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation

/// Checks on the recorded excess-loss trace L(t) − L* of one run.
///
/// Both checks look at the trace only up to and including the first point with L − L* ≤ `cutoff` (the trial
/// runner passes the settings' `excessLossTolerance`; the default 0 uses the whole trace). Past that point a
/// run only refines the end-to-end matrix, and the excess loss sits at the integrator's accuracy floor
/// (≈ (relativeTolerance·‖K‖)²), where neither a slope nor a comparison with an exponentially small bound
/// says anything about the flow.
public enum LossTraceAnalysis {
    /// The number of leading trace points to analyse (see the type's contract).
    public static func analysedCount(excessLosses: [Double], cutoff: Double) -> Int {
        guard cutoff > 0, let first = excessLosses.firstIndex(where: { $0 <= cutoff }) else { return excessLosses.count }
        return first + 1
    }

    /// Theorem 3: L(t) − L* ≤ exp(−rate·t)(L(0) − L*) at every analysed time, with relative slack:
    /// each point must satisfy e(t) ≤ exp(−rate·t)·e0·(1 + relativeSlack) + absoluteFloor. `rate` is
    /// λr(Σx)·c(0). `absoluteFloor` (default 0) absorbs the rounding floor of a computed excess loss (the
    /// trial runner passes ½(16(r+m)ε‖Ỹ‖_F)², far below any tolerance).
    /// Returns true for an empty trace; false if any analysed point is NaN.
    public static func theorem3Holds(times: [Double], excessLosses: [Double], initialExcessLoss e0: Double,
                                     rate: Double, relativeSlack: Double = 1e-9, absoluteFloor: Double = 0,
                                     cutoff: Double = 0) -> Bool {
        precondition(times.count == excessLosses.count, "times and losses must have the same length")
        let count = analysedCount(excessLosses: excessLosses, cutoff: cutoff)
        for (t, e) in zip(times.prefix(count), excessLosses.prefix(count)) {
            let bound = Foundation.exp(-rate * t) * e0 * (1 + relativeSlack) + absoluteFloor
            if !(e <= bound) { return false }
        }
        return true
    }

    /// Measured asymptotic rate −d log(L − L*)/dt over the analysed trace's final decade.
    ///
    /// Definition: with e_f the last positive analysed excess loss, the final decade is the stretch from the
    /// last analysed point with e ≥ 10·e_f to e_f. The rate is minus the least-squares slope of log e against t
    /// over the positive points of that stretch. NaN when the trace never fell by a factor 10, when fewer than
    /// two usable points remain, or when the times do not spread.
    /// Accuracy: the trace is the integrator's, so in the far tail (e close to the accuracy floor) the slope
    /// carries a relative error of order relativeTolerance·‖K‖/‖E‖ (about 1 % at e ≈ 1e-18 with rtol 1e-12);
    /// `RateConstant.instantaneousRate` gives the exact rate of a state.
    public static func measuredRate(times: [Double], excessLosses: [Double], cutoff: Double = 0) -> Double {
        precondition(times.count == excessLosses.count, "times and losses must have the same length")
        let count = analysedCount(excessLosses: excessLosses, cutoff: cutoff)
        let losses = excessLosses.prefix(count)
        guard let lastIndex = losses.lastIndex(where: { $0 > 0 && $0.isFinite }) else { return .nan }
        let ef = losses[lastIndex]
        guard let start = losses[...lastIndex].lastIndex(where: { $0 >= 10 * ef }) else { return .nan }
        var ts: [Double] = [], ys: [Double] = []
        for i in start...lastIndex where losses[i] > 0 && losses[i].isFinite && times[i].isFinite {
            ts.append(times[i]); ys.append(Foundation.log(losses[i]))
        }
        guard ts.count >= 2 else { return .nan }
        let k = Double(ts.count)
        let tm = ts.reduce(0, +) / k, ym = ys.reduce(0, +) / k
        var sxx = 0.0, sxy = 0.0
        for (t, y) in zip(ts, ys) { sxx += (t - tm) * (t - tm); sxy += (t - tm) * (y - ym) }
        guard sxx > 0 else { return .nan }
        return -sxy / sxx
    }
}

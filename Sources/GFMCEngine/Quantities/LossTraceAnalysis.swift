import Foundation

/// Checks on the recorded excess-loss trace L(t) − L* of one run.
public enum LossTraceAnalysis {
    /// Theorem 3: L(t) − L* ≤ exp(−rate·t)(L(0) − L*) at every recorded time, with relative slack:
    /// each point must satisfy e(t) ≤ exp(−rate·t)·e0·(1 + relativeSlack). `rate` is λr(Σx)·c(0).
    /// `absoluteFloor` (default 0) is added to the bound to absorb the rounding floor of a computed excess
    /// loss (the trial runner passes ½(16(r+m)ε‖Ỹ‖_F)², far below any tolerance).
    /// Returns true for an empty trace; false if any point is NaN.
    public static func theorem3Holds(times: [Double], excessLosses: [Double], initialExcessLoss e0: Double,
                                     rate: Double, relativeSlack: Double = 1e-9, absoluteFloor: Double = 0) -> Bool {
        precondition(times.count == excessLosses.count, "times and losses must have the same length")
        for (t, e) in zip(times, excessLosses) {
            let bound = Foundation.exp(-rate * t) * e0 * (1 + relativeSlack) + absoluteFloor
            if !(e <= bound) { return false }
        }
        return true
    }

    /// Measured asymptotic rate −d log(L − L*)/dt over the trace's final decade.
    ///
    /// Definition: with e_f the last positive excess loss, the final decade is the stretch from the last
    /// recorded point with e ≥ 10·e_f to the end. The rate is minus the least-squares slope of log e against t
    /// over the positive points of that stretch. NaN when the trace never fell by a factor 10, when fewer than
    /// two usable points remain, or when the times do not spread.
    public static func measuredRate(times: [Double], excessLosses: [Double]) -> Double {
        precondition(times.count == excessLosses.count, "times and losses must have the same length")
        guard let lastIndex = excessLosses.lastIndex(where: { $0 > 0 && $0.isFinite }) else { return .nan }
        let ef = excessLosses[lastIndex]
        guard let start = excessLosses[...lastIndex].lastIndex(where: { $0 >= 10 * ef }) else { return .nan }
        var ts: [Double] = [], ys: [Double] = []
        for i in start...lastIndex where excessLosses[i] > 0 && excessLosses[i].isFinite && times[i].isFinite {
            ts.append(times[i]); ys.append(Foundation.log(excessLosses[i]))
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

/// Equal-width histogram of a sample, for plots.
public struct Histogram: Codable, Equatable, Sendable {
    /// binCount + 1 increasing edges; bin i is [edges[i], edges[i+1]) except the last, which is closed.
    public var edges: [Double]
    public var counts: [Int]
    /// Values outside [edges.first, edges.last] (only possible with an explicit range).
    public var outOfRange: Int
    /// NaN or infinite values, never binned.
    public var nonFinite: Int

    /// Bins the finite values into `binCount` equal-width bins over `range` (default: [min, max] of the finite
    /// values). An all-equal sample (or a zero-width range) gets the range [v − 0.5, v + 0.5] (or
    /// [v − |v|/2, v + |v|/2] when v ≠ 0) so that every value lands in a bin. No finite values: edges over
    /// [0, 1], all counts 0. Throws for binCount < 1 or a range with lower > upper or non-finite ends.
    public init(values: [Double], binCount: Int, range: ClosedRange<Double>? = nil) throws {
        guard binCount >= 1 else { throw StatisticsError("binCount must be ≥ 1, got \(binCount)") }
        let finite = values.filter { $0.isFinite }
        nonFinite = values.count - finite.count
        var lo: Double, hi: Double
        if let r = range {
            guard r.lowerBound.isFinite && r.upperBound.isFinite else {
                throw StatisticsError("histogram range must be finite, got \(r)")
            }
            lo = r.lowerBound; hi = r.upperBound
        } else if let mn = finite.min(), let mx = finite.max() {
            lo = mn; hi = mx
        } else {
            lo = 0; hi = 1
        }
        if hi == lo {
            let pad = lo == 0 ? 0.5 : abs(lo) / 2
            lo -= pad; hi += pad
        }
        let step = (hi - lo) / Double(binCount)
        edges = (0...binCount).map { $0 == binCount ? hi : lo + Double($0) * step }
        counts = [Int](repeating: 0, count: binCount)
        outOfRange = 0
        for v in finite {
            if v < lo || v > hi { outOfRange += 1; continue }
            var i = Int(((v - lo) / step).rounded(.down))
            i = min(max(i, 0), binCount - 1)
            // Guard against rounding at interior edges.
            while i > 0 && v < edges[i] { i -= 1 }
            while i < binCount - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
    }

    /// Sturges' rule ⌈log₂ n⌉ + 1, clamped to 1…50 (1 for n ≤ 1).
    public static func suggestedBinCount(sampleSize n: Int) -> Int {
        guard n > 1 else { return 1 }
        var bits = 0
        var m = n - 1
        while m > 0 { bits += 1; m >>= 1 }  // ⌈log₂ n⌉
        return min(50, max(1, bits + 1))
    }
}

/// Sample quantiles and distribution-free confidence intervals for population quantiles.
public enum Quantiles {
    /// Hyndman–Fan type 7 sample quantile (R's default and NumPy's default `method="linear"`):
    /// with the sample sorted ascending as x₍₁₎ ≤ … ≤ x₍ₙ₎ and h = (n − 1)·p, the value
    /// x₍⌊h⌋+1₎ + (h − ⌊h⌋)(x₍⌊h⌋+2₎ − x₍⌊h⌋+1₎).
    /// The input need not be sorted (it is sorted here). p is clamped to [0, 1].
    /// Edge cases: n = 0 gives NaN; n = 1 gives the single value; NaN values sort last (callers should filter).
    public static func type7(_ values: [Double], probability p: Double) -> Double {
        type7(sorted: values.sorted(), probability: p)
    }

    /// `type7` for a sample that is already sorted ascending (not checked).
    public static func type7(sorted x: [Double], probability p: Double) -> Double {
        guard !x.isEmpty, !p.isNaN else { return .nan }
        let q = min(max(p, 0), 1)
        let h = Double(x.count - 1) * q
        let lo = Int(h.rounded(.down))
        if lo >= x.count - 1 { return x[x.count - 1] }
        let frac = h - Double(lo)
        if frac == 0 { return x[lo] }
        return x[lo] + frac * (x[lo + 1] - x[lo])
    }

    /// `type7(values, probability:)` by selection instead of a full sort: expected O(n) instead of
    /// O(n log n), and the same value bit for bit. `values` is reordered (pass a scratch copy).
    ///
    /// Precondition: no NaN (callers filter non-finite values first). A sample holding a zero of either
    /// sign is sorted in full instead, since −0.0 and +0.0 compare equal and only the stable sort decides
    /// which of them a quantile returns.
    public static func type7(selectingIn values: inout [Double], probability p: Double) -> Double {
        guard !values.isEmpty, !p.isNaN else { return .nan }
        if values.contains(0) { return type7(values, probability: p) }
        let q = min(max(p, 0), 1)
        let h = Double(values.count - 1) * q
        let lo = Int(h.rounded(.down))
        if lo >= values.count - 1 { return values.max()! }
        select(&values, rank: lo)
        let frac = h - Double(lo)
        if frac == 0 { return values[lo] }
        // Selection leaves every value after position lo at least as large: the next order statistic is
        // their minimum.
        let next = values[(lo + 1)...].min()!
        return values[lo] + frac * (next - values[lo])
    }

    /// Reorders `a` so that `a[rank]` is the value a sort would put there, with nothing larger before it and
    /// nothing smaller after it (Hoare's FIND with Wirth's partition). Falls back to sorting the remaining
    /// range if partitioning stops shrinking it fast (adversarial orders), so the worst case is O(n log n).
    static func select(_ a: inout [Double], rank: Int) {
        a.withUnsafeMutableBufferPointer { x in
            var lower = 0, upper = x.count - 1, rounds = 0
            while lower < upper {
                rounds += 1
                if rounds > 64 {
                    x[lower...upper].sort()
                    return
                }
                let pivot = x[rank]
                var i = lower, j = upper
                repeat {
                    while x[i] < pivot { i += 1 }
                    while pivot < x[j] { j -= 1 }
                    if i <= j {
                        x.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                } while i <= j
                if j < rank { lower = i }
                if rank < i { upper = j }
            }
        }
    }

    /// Several type-7 quantiles of one sample (sorted once).
    public static func type7(_ values: [Double], probabilities: [Double]) -> [Double] {
        let sorted = values.sorted()
        return probabilities.map { type7(sorted: sorted, probability: $0) }
    }

    /// Result of `orderStatisticInterval`: the interval and which order statistics bound it.
    public struct OrderStatisticInterval: Codable, Equatable, Sendable {
        public var interval: ConfidenceInterval
        /// 1-based rank of the lower order statistic, or nil when the lower end is −∞.
        public var lowerRank: Int?
        /// 1-based rank of the upper order statistic, or nil when the upper end is +∞.
        public var upperRank: Int?
        /// Exact coverage P(X₍l₎ ≤ ξ_p < X₍u₎) for a continuous distribution (≥ the nominal level).
        public var exactCoverage: Double
    }

    /// Distribution-free confidence interval for the population p-quantile ξ_p from order statistics.
    ///
    /// Method: the number of observations below ξ_p is Binomial(n, p) for any continuous distribution, so
    /// P(X₍l₎ ≤ ξ_p < X₍u₎) = F(u − 1) − F(l − 1) with F the Binomial(n, p) CDF. We take the largest l with
    /// F(l − 1) ≤ (1 − level)/2 and the smallest u with F(u − 1) ≥ 1 − (1 − level)/2 (equal tails, each
    /// conservative), so the exact coverage is at least `level`. When no such l ≥ 1 exists the lower end is
    /// −∞ (lowerRank nil); when no u ≤ n exists the upper end is +∞ (upperRank nil): few observations
    /// cannot bound an extreme quantile, and the interval says so instead of pretending.
    /// Edge cases: n = 0 gives (−∞, +∞) with coverage 1. Throws for p ∉ (0, 1) or level ∉ (0, 1).
    public static func orderStatisticInterval(_ values: [Double], probability p: Double,
                                              level: Double = 0.95) throws -> OrderStatisticInterval {
        try orderStatisticInterval(sorted: values.sorted(), probability: p, level: level)
    }

    /// The same for values already sorted increasingly (no copy is sorted again).
    public static func orderStatisticInterval(sorted x: [Double], probability p: Double,
                                              level: Double = 0.95) throws -> OrderStatisticInterval {
        try validateLevel(level)
        guard p > 0 && p < 1 else { throw StatisticsError("probability must lie in (0, 1), got \(p)") }
        let n = x.count
        let tail = (1 - level) / 2
        // cdf[k] = P(B ≤ k) for k = 0…n, from log-space pmf terms summed in increasing k.
        var cdf = [Double](repeating: 0, count: n + 1)
        var running = 0.0
        for k in 0...n {
            running += BinomialDistribution.pmf(k, trials: n, probability: p)
            cdf[k] = min(running, 1)
        }
        cdf[n] = 1
        // Lower rank l (1-based): largest l in 1…n with F(l − 1) ≤ tail.
        var lowerRank: Int? = nil
        for l in stride(from: n, through: 1, by: -1) where cdf[l - 1] <= tail {
            lowerRank = l
            break
        }
        // Upper rank u: smallest u in 1…n with F(u − 1) ≥ 1 − tail.
        var upperRank: Int? = nil
        if n >= 1 {
            for u in 1...n where cdf[u - 1] >= 1 - tail {
                upperRank = u
                break
            }
        }
        // F(l − 1) ≤ tail < 1 − tail ≤ F(u − 1) implies l < u, so the interval is never inverted.
        let lowerCDF = lowerRank.map { cdf[$0 - 1] } ?? 0
        let upperCDF = upperRank.map { cdf[$0 - 1] } ?? 1
        let interval = ConfidenceInterval(lower: lowerRank.map { x[$0 - 1] } ?? -.infinity,
                                          upper: upperRank.map { x[$0 - 1] } ?? .infinity,
                                          level: level)
        return OrderStatisticInterval(interval: interval, lowerRank: lowerRank, upperRank: upperRank,
                                      exactCoverage: upperCDF - lowerCDF)
    }
}

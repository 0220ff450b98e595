/// Confidence intervals for a population mean.
public enum MeanIntervals {
    /// Student-t interval x̄ ± t_{1−(1−level)/2, n−1} · s/√n, exact for normal data and asymptotically
    /// correct otherwise (s = sample standard deviation, t quantile from `SpecialFunctions.studentTQuantile`,
    /// about 1e-12 relative).
    /// Edge cases: returns nil for n < 2 (no spread estimate); an all-equal sample gives the degenerate
    /// interval [x̄, x̄]. Throws for level ∉ (0, 1).
    public static func studentT(_ values: [Double], level: Double = 0.95) throws -> ConfidenceInterval? {
        try validateLevel(level)
        guard values.count >= 2 else { return nil }
        let n = Double(values.count)
        let m = Descriptive.mean(values)
        let s = Descriptive.sampleStandardDeviation(values)
        let t = SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: n - 1)
        let half = t * s / n.squareRoot()
        return ConfidenceInterval(lower: m - half, upper: m + half, level: level)
    }

    /// Bootstrap percentile interval (Efron): `resamples` samples of size n are drawn with replacement,
    /// index ⌊u·n⌋ (clamped to n − 1) for each uniform u ∈ [0, 1) supplied by `uniform`; the statistic is
    /// evaluated on each and the type-7 quantiles at (1 − level)/2 and 1 − (1 − level)/2 of those values form
    /// the interval. Deterministic: the same uniform stream gives the same interval (the caller seeds it,
    /// e.g. from (study seed, width, "bootstrap")). Consumes exactly resamples·n uniforms.
    /// Edge cases: nil for n = 0; n = 1 gives [statistic(x), statistic(x)].
    /// Throws for resamples < 1 or level ∉ (0, 1).
    public static func bootstrapPercentile(_ values: [Double], level: Double = 0.95, resamples: Int = 2000,
                                           statistic: ([Double]) -> Double = Descriptive.mean,
                                           uniform: () -> Double) throws -> ConfidenceInterval? {
        try validateLevel(level)
        guard resamples >= 1 else { throw StatisticsError("resamples must be ≥ 1, got \(resamples)") }
        guard !values.isEmpty else { return nil }
        let n = values.count
        var stats = [Double]()
        stats.reserveCapacity(resamples)
        var sample = [Double](repeating: 0, count: n)
        for _ in 0..<resamples {
            for i in 0..<n {
                let u = uniform()
                sample[i] = values[min(n - 1, max(0, Int((u * Double(n)).rounded(.down))))]
            }
            stats.append(statistic(sample))
        }
        let sorted = stats.sorted()
        return ConfidenceInterval(lower: Quantiles.type7(sorted: sorted, probability: (1 - level) / 2),
                                  upper: Quantiles.type7(sorted: sorted, probability: 1 - (1 - level) / 2),
                                  level: level)
    }
}

/// Confidence intervals for a binomial proportion p from k successes in n trials.
public enum ProportionIntervals {
    /// Wilson score interval (Wilson 1927): the set of p whose score test does not reject at `level`,
    /// center (k + z²/2)/(n + z²), half-width z/(n + z²)·sqrt(k(n − k)/n + z²/4), z = Φ⁻¹(1 − (1 − level)/2).
    /// Coverage is close to nominal on average but not guaranteed (it can dip below for some p).
    /// Edge cases: k = 0 gives lower = 0 exactly; k = n gives upper = 1 exactly; n = 0 gives [0, 1].
    /// Throws for n < 0, k ∉ 0…n or level ∉ (0, 1).
    public static func wilson(successes k: Int, trials n: Int, level: Double = 0.95) throws -> ConfidenceInterval {
        try validate(k, n, level)
        if n == 0 { return ConfidenceInterval(lower: 0, upper: 1, level: level) }
        let z = SpecialFunctions.normalQuantile(1 - (1 - level) / 2)
        let nd = Double(n), kd = Double(k), z2 = z * z
        let center = (kd + z2 / 2) / (nd + z2)
        let half = z / (nd + z2) * (kd * (nd - kd) / nd + z2 / 4).squareRoot()
        let lower = k == 0 ? 0 : max(0, center - half)
        let upper = k == n ? 1 : min(1, center + half)
        return ConfidenceInterval(lower: lower, upper: upper, level: level)
    }

    /// Clopper–Pearson "exact" interval: lower = Beta⁻¹((1 − level)/2; k, n − k + 1),
    /// upper = Beta⁻¹(1 − (1 − level)/2; k + 1, n − k), computed by inverting the regularized incomplete beta
    /// function (`SpecialFunctions.inverseRegularizedIncompleteBeta`, about 1e-12 relative).
    /// Coverage is at least `level` for every p (conservative).
    /// Edge cases: k = 0 gives lower = 0; k = n gives upper = 1; n = 0 gives [0, 1].
    /// Throws for n < 0, k ∉ 0…n or level ∉ (0, 1).
    public static func clopperPearson(successes k: Int, trials n: Int, level: Double = 0.95) throws -> ConfidenceInterval {
        try validate(k, n, level)
        if n == 0 { return ConfidenceInterval(lower: 0, upper: 1, level: level) }
        let tail = (1 - level) / 2
        let lower = k == 0 ? 0 : SpecialFunctions.inverseRegularizedIncompleteBeta(tail, a: Double(k), b: Double(n - k + 1))
        let upper = k == n ? 1 : SpecialFunctions.inverseRegularizedIncompleteBeta(1 - tail, a: Double(k + 1), b: Double(n - k))
        return ConfidenceInterval(lower: lower, upper: upper, level: level)
    }

    private static func validate(_ k: Int, _ n: Int, _ level: Double) throws {
        guard n >= 0 else { throw StatisticsError("trials must be ≥ 0, got \(n)") }
        guard k >= 0 && k <= n else { throw StatisticsError("successes must lie in 0…\(n), got \(k)") }
        try validateLevel(level)
    }
}

import Foundation

/// The Binomial(n, p) distribution.
public enum BinomialDistribution {
    /// P(B = k) = C(n, k) pᵏ (1 − p)ⁿ⁻ᵏ, computed in log space with `lgamma` (relative error about 1e-13
    /// for n up to 1e6). Exact 0/1 handling at p = 0 and p = 1; 0 for k outside 0…n.
    public static func pmf(_ k: Int, trials n: Int, probability p: Double) -> Double {
        guard k >= 0, k <= n, n >= 0 else { return 0 }
        if p <= 0 { return k == 0 ? 1 : 0 }
        if p >= 1 { return k == n ? 1 : 0 }
        let ln: Double = lgamma(Double(n) + 1)
        let lk: Double = lgamma(Double(k) + 1)
        let lnk: Double = lgamma(Double(n - k) + 1)
        let logPower: Double = Double(k) * log(p) + Double(n - k) * log1p(-p)
        return exp(ln - lk - lnk + logPower)
    }

    /// P(B ≤ k) = I_{1−p}(n − k, k + 1) via the regularized incomplete beta function. 0 for k < 0, 1 for k ≥ n.
    public static func cdf(_ k: Int, trials n: Int, probability p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        return SpecialFunctions.regularizedIncompleteBeta(1 - p, a: Double(n - k), b: Double(k + 1))
    }
}

import GFMCModel

/// The simulation's one random stream: SplitMix64 seeded by the simulation seed, so a seed replays the
/// same run exactly (event order, losses, crashes, timings).
public struct SimulationRandom: Sendable {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func uniform() -> Double { generator.uniform() }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// Exponentially distributed with the given mean (> 0).
    public mutating func exponential(mean: Double) -> Double { -mean * (1 - uniform()).logNatural }
}

private extension Double {
    /// Natural logarithm by argument reduction and the atanh series (no Foundation in this module);
    /// relative error below 1e-15 for positive finite inputs.
    var logNatural: Double {
        guard self > 0, isFinite else { return self == 0 ? -.infinity : .nan }
        let e = Double(exponent)
        let m = significand  // in [1, 2)
        let ln2 = 0.693_147_180_559_945_309_417
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while abs(term / k) > 1e-18 {
            sum += term / k
            term *= s2
            k += 2
        }
        return 2 * sum + e * ln2
    }
}

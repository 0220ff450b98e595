/// The simulation's one random stream: SplitMix64 seeded by the simulation seed, so a seed replays the
/// same run exactly (event order, losses, crashes, timings).
public struct SimulationRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

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

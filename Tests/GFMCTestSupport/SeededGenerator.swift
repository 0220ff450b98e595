import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): a small seeded generator, so every "random" test input, property
/// test and fault-injection moment repeats from run to run. Independent of GFMCRandom on purpose: the tests
/// of the random streams must not draw their inputs from the code under test.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by Box–Muller (one of the pair).
    public mutating func normal() -> Double {
        let u1 = 1 - uniform()  // (0, 1]
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Successes in `n` independent Bernoulli(`p`) draws.
    public mutating func bernoulliCount(trials n: Int, probability p: Double) -> Int {
        var k = 0
        for _ in 0..<n where uniform() < p { k += 1 }
        return k
    }

    /// Fisher–Yates shuffle of `a` in place.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}

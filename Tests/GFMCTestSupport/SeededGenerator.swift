import Foundation
import GFMCModel

/// The seeded generator of every "random" test input, property test and fault-injection moment, so they repeat
/// from run to run: SplitMix64 (`GFMCModel`), independent of GFMCRandom on purpose (the tests of the random
/// streams must not draw their inputs from the code under test).
public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
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

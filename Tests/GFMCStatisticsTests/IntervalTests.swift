import GFMCStatistics
import GFMCTestSupport
import Testing

@Suite("Proportion and mean intervals")
struct IntervalTests {
    /// References from scipy.stats.binomtest(k, n).proportion_ci(0.95, 'exact' / 'wilson') (SciPy 1.17.1).
    @Test(arguments: [
        (0, 50, 0.0, 0.07112173646420458, 0.0, 0.07134759913335872),
        (3, 50, 0.01254858783533406, 0.1654819466037729, 0.020614970348973957, 0.1621709168883817),
        (50, 50, 0.9288782635357954, 1.0, 0.9286524008666412, 1.0),
        (7, 20, 0.1539092047845412, 0.5921885345328283, 0.1811918241010821, 0.5671457233147637),
        (1, 1, 0.025000000000000022, 1.0, 0.20654931437723745, 1.0),
    ])
    func againstSciPy(k: Int, n: Int, cpLow: Double, cpHigh: Double, wLow: Double, wHigh: Double) throws {
        let cp = try ProportionIntervals.clopperPearson(successes: k, trials: n)
        let w = try ProportionIntervals.wilson(successes: k, trials: n)
        #expect(abs(cp.lower - cpLow) < 1e-12 && abs(cp.upper - cpHigh) < 1e-12, "CP \(cp)")
        #expect(abs(w.lower - wLow) < 1e-12 && abs(w.upper - wHigh) < 1e-12, "Wilson \(w)")
    }

    /// Large n (the regime of a 1e5-trial study). Rows 2–3 from SciPy as above. Row 1 from mpmath (30 digits,
    /// bisection on mpmath.betainc): SciPy's own answer there, 6.186763915927223e-06, is off by 7e-9 relative
    /// (mpmath gives I = 0.02499999955678 at it), while ours is within 1e-11.
    @Test(arguments: [
        (3, 100_000, 6.1867639589220311533e-06, 8.767020256636201643e-05),
        (99_999, 100_000, 0.9999442848396557, 0.9999997468215721),
        (5000, 10_000, 0.4901513805899749, 0.509848619410025),
    ])
    func clopperPearsonLargeN(k: Int, n: Int, low: Double, high: Double) throws {
        let cp = try ProportionIntervals.clopperPearson(successes: k, trials: n)
        #expect(abs(cp.lower - low) <= 1e-10 * low && abs(cp.upper - high) <= 1e-10 * high, "CP \(cp)")
    }

    @Test func edgeCasesAndErrors() throws {
        let empty = try ProportionIntervals.wilson(successes: 0, trials: 0)
        #expect(empty.lower == 0 && empty.upper == 1)
        #expect(try ProportionIntervals.clopperPearson(successes: 0, trials: 0).width == 1)
        #expect(throws: StatisticsError.self) { try ProportionIntervals.wilson(successes: 5, trials: 4) }
        #expect(throws: StatisticsError.self) { try ProportionIntervals.clopperPearson(successes: 1, trials: 4, level: 1) }
        #expect(try MeanIntervals.studentT([1.0]) == nil)
        let flat = try #require(try MeanIntervals.studentT([2.5, 2.5, 2.5]))
        #expect(flat.lower == 2.5 && flat.upper == 2.5)
    }

    /// Exact coverage Σ_k pmf(k)·[p ∈ CI(k)] over a grid of p: Clopper–Pearson must never fall below 95 %
    /// (it is exact-conservative); Wilson averages close to 95 %. A Wald interval fails both (its exact coverage
    /// at n = 30 and small p is far below 0.9).
    @Test func exactCoverageOverAGridOfP() throws {
        let n = 30
        var wilsonSum = 0.0
        var grid = 0
        for i in 1...99 {
            let p = Double(i) / 100
            var cpCoverage = 0.0, wilsonCoverage = 0.0
            for k in 0...n {
                let pmf = BinomialDistribution.pmf(k, trials: n, probability: p)
                if try ProportionIntervals.clopperPearson(successes: k, trials: n).contains(p) { cpCoverage += pmf }
                if try ProportionIntervals.wilson(successes: k, trials: n).contains(p) { wilsonCoverage += pmf }
            }
            #expect(cpCoverage >= 0.95 - 1e-12, "Clopper–Pearson coverage \(cpCoverage) at p = \(p)")
            #expect(wilsonCoverage > 0.83, "Wilson coverage \(wilsonCoverage) at p = \(p)")
            wilsonSum += wilsonCoverage
            grid += 1
        }
        let average = wilsonSum / Double(grid)
        #expect(abs(average - 0.95) < 0.01, "average Wilson coverage \(average)")
    }

    /// 2000 synthetic Binomial(50, 0.1) samples. The exact coverage of both intervals at this (n, p) is
    /// 0.9703 (computed with SciPy); the simulation's standard error is about 0.004, so [0.95, 0.99] fails
    /// for a Wald interval (exact coverage 0.879) but passes for a correct method.
    @Test func simulatedBinomialCoverage() throws {
        var rng = SeededGenerator(seed: 20_260_501)
        let p = 0.1, n = 50, samples = 2000
        var wilsonHits = 0, cpHits = 0
        for _ in 0..<samples {
            let k = rng.bernoulliCount(trials: n, probability: p)
            if try ProportionIntervals.wilson(successes: k, trials: n).contains(p) { wilsonHits += 1 }
            if try ProportionIntervals.clopperPearson(successes: k, trials: n).contains(p) { cpHits += 1 }
        }
        let wilson = Double(wilsonHits) / Double(samples)
        let cp = Double(cpHits) / Double(samples)
        #expect(wilson > 0.95 && wilson < 0.99, "Wilson coverage \(wilson)")
        #expect(cp > 0.95 && cp < 0.99, "Clopper–Pearson coverage \(cp)")
        #expect(cp >= wilson - 1e-12 || abs(cp - wilson) < 0.01)
    }

    /// 2000 normal samples of size 5: the t interval covers the mean ≈ 95 % (SE ≈ 0.005); a z interval
    /// (1.96 in place of t₄ = 2.776) would cover only ≈ 88 % and fail.
    @Test func simulatedStudentTCoverage() throws {
        var rng = SeededGenerator(seed: 7)
        let mu = 3.0, sigma = 2.0, samples = 2000
        var hits = 0
        for _ in 0..<samples {
            let x = (0..<5).map { _ in mu + sigma * rng.normal() }
            if try #require(try MeanIntervals.studentT(x)).contains(mu) { hits += 1 }
        }
        let coverage = Double(hits) / Double(samples)
        #expect(coverage > 0.935 && coverage < 0.965, "t-interval coverage \(coverage)")
    }

    /// The bootstrap interval is a pure function of the uniform stream, and for a large normal sample it is
    /// close to the t interval.
    @Test func bootstrapIsDeterministicAndSensible() throws {
        var data = SeededGenerator(seed: 99)
        let x = (0..<200).map { _ in 10 + data.normal() }
        var r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5)
        let a = try #require(try MeanIntervals.bootstrapPercentile(x, resamples: 500) { r1.uniform() })
        let b = try #require(try MeanIntervals.bootstrapPercentile(x, resamples: 500) { r2.uniform() })
        #expect(a == b)
        let t = try #require(try MeanIntervals.studentT(x))
        #expect(abs(a.lower - t.lower) < 0.05 && abs(a.upper - t.upper) < 0.05, "bootstrap \(a) vs t \(t)")
        #expect(try MeanIntervals.bootstrapPercentile([], resamples: 5) { 0.5 } == nil)
    }

    @Test func descriptiveStatistics() {
        #expect(Descriptive.mean([]).isNaN)
        #expect(Descriptive.mean([1, 2, 3, 4]) == 2.5)
        #expect(Descriptive.sampleStandardDeviation([5]).isNaN)
        #expect(Descriptive.sampleStandardDeviation([0.1, 0.1, 0.1]) == 0)
        // Var of 2, 4, 4, 4, 5, 5, 7, 9 with n − 1 = 7: Σ(x − 5)² = 32, 32/7.
        #expect(abs(Descriptive.sampleVariance([2, 4, 4, 4, 5, 5, 7, 9]) - 32.0 / 7) < 1e-15)
        // Large offset: naive one-pass formulas lose everything here.
        let shifted = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]
        #expect(abs(Descriptive.sampleVariance(shifted) - 30) < 1e-6)
    }
}

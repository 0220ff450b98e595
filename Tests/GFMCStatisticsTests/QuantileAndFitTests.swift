import Foundation
import GFMCStatistics
import GFMCTestSupport
import Testing

@Suite("Quantiles, power-law fit and histograms")
struct QuantileAndFitTests {
    /// References: numpy 2.4.6, `np.quantile(x, q)` (default method "linear" = Hyndman–Fan type 7) for
    /// x = [3.1, -0.4, 2.2, 7.5, 0.0, 1.1, 5.9, 2.2, -3.3, 4.4, 10.0].
    @Test func type7MatchesNumPy() {
        let x = [3.1, -0.4, 2.2, 7.5, 0.0, 1.1, 5.9, 2.2, -3.3, 4.4, 10.0]
        let expected: [(Double, Double)] = [(0, -3.3), (0.05, -1.85), (0.25, 0.55), (0.5, 2.2), (0.75, 5.15),
                                            (0.95, 8.75), (0.99, 9.75), (1, 10.0)]
        for (p, value) in expected {
            let q = Quantiles.type7(x, probability: p)
            #expect(abs(q - value) < 1e-12, "q(\(p)) = \(q), numpy \(value)")
        }
        // np.quantile([1.0, 2.0], 0.3) = 1.3; np.quantile([4.2], 0.7) = 4.2.
        #expect(abs(Quantiles.type7([2.0, 1.0], probability: 0.3) - 1.3) < 1e-15)
        #expect(Quantiles.type7([4.2], probability: 0.7) == 4.2)
        #expect(Quantiles.type7([], probability: 0.5).isNaN)
    }

    /// The order-statistic interval for the 0.9-quantile of a Uniform(0, 1) (true value 0.9) covers at least
    /// 95 % of the time, and its reported exact coverage is ≥ 0.95 and matches the binomial formula.
    @Test func orderStatisticIntervalCoverage() throws {
        var rng = SeededGenerator(seed: 4242)
        let n = 100, samples = 1000
        var hits = 0
        var reported = 0.0
        for _ in 0..<samples {
            let x = (0..<n).map { _ in rng.uniform() }
            let ci = try Quantiles.orderStatisticInterval(x, probability: 0.9)
            reported = ci.exactCoverage
            if ci.interval.contains(0.9) { hits += 1 }
        }
        #expect(reported >= 0.95 && reported < 0.99)
        let coverage = Double(hits) / Double(samples)
        #expect(coverage > 0.94, "order-statistic coverage \(coverage)")
        // Few observations cannot bound the 0.95-quantile from above.
        let small = try Quantiles.orderStatisticInterval([1, 2, 3, 4, 5], probability: 0.95)
        #expect(small.interval.upper == .infinity && small.upperRank == nil)
        #expect(small.lowerRank != nil)
    }

    @Test func orderStatisticRanksMatchBinomialCDF() throws {
        // n = 20, p = 0.5: F(5) = 0.0207 ≤ 0.025 < F(6) = 0.0577, so l = 6; F(13) = 0.9423 < 0.975 ≤ F(14) = 0.9793,
        // so u = 15. Exact coverage F(14) − F(5) = 0.9586 (values from the Binomial(20, 1/2) table).
        let ci = try Quantiles.orderStatisticInterval((1...20).map(Double.init), probability: 0.5)
        #expect(ci.lowerRank == 6 && ci.upperRank == 15)
        #expect(ci.interval.lower == 6 && ci.interval.upper == 15)
        #expect(abs(ci.exactCoverage - 0.958610534667969) < 1e-9)
    }

    /// y = 3·h^−0.75 · e^ε with ε ~ N(0, 0.05²) at 8 widths: the fit recovers the exponent and its 95 % interval
    /// covers −0.75 in about 95 % of 400 repetitions (SE 0.011).
    @Test func powerLawFitRecoversExponent() throws {
        let h: [Double] = [100, 200, 400, 800, 1600, 3200, 6400, 12800]
        var rng = SeededGenerator(seed: 11)
        var hits = 0
        let repetitions = 400
        for _ in 0..<repetitions {
            let y = h.map { 3 * pow($0, -0.75) * exp(0.05 * rng.normal()) }
            let fit = try PowerLawFit.fit(h: h, y: y)
            #expect(abs(fit.slope + 0.75) < 0.05)
            if try #require(fit.slopeInterval).contains(-0.75) { hits += 1 }
        }
        let coverage = Double(hits) / Double(repetitions)
        #expect(coverage > 0.92 && coverage < 0.98, "slope CI coverage \(coverage)")

        // Noise-free data: exact slope and intercept, zero standard error.
        let exact = try PowerLawFit.fit(h: [1, 10, 100], y: [2, 0.2, 0.02])
        #expect(abs(exact.slope + 1) < 1e-12 && abs(exact.intercept - log(2)) < 1e-12)
        #expect(exact.slopeStandardError < 1e-12)
        #expect(abs(exact.predict(1000) - 0.002) < 1e-15)
        // Weighted fit: a point with tiny weight barely moves the slope.
        let weighted = try PowerLawFit.fit(h: [1, 10, 100, 1000], y: [1, 0.1, 0.01, 5], weights: [1, 1, 1, 1e-12])
        #expect(abs(weighted.slope + 1) < 1e-6)
        #expect(throws: StatisticsError.self) { try PowerLawFit.fit(h: [1, 2], y: [1, 0]) }
        #expect(throws: StatisticsError.self) { try PowerLawFit.fit(h: [3, 3], y: [1, 2]) }
        #expect(try PowerLawFit.fit(h: [1, 2], y: [1, 2]).slopeInterval == nil)
    }

    @Test func histogramBinsEveryFiniteValue() throws {
        let hist = try Histogram(values: [0, 0.1, 0.5, 0.99, 1, .nan, 0.3], binCount: 4)
        #expect(hist.edges == [0, 0.25, 0.5, 0.75, 1])
        // [0, 0.25): 0, 0.1; [0.25, 0.5): 0.3; [0.5, 0.75): 0.5; [0.75, 1]: 0.99, 1 (last bin closed).
        #expect(hist.counts == [2, 1, 1, 2])
        #expect(hist.nonFinite == 1)
        let flat = try Histogram(values: [2, 2, 2], binCount: 3)
        #expect(flat.counts.reduce(0, +) == 3 && flat.edges.first! < 2 && flat.edges.last! > 2)
        let ranged = try Histogram(values: [-1, 0.5, 3], binCount: 2, range: 0...1)
        #expect(ranged.outOfRange == 2 && ranged.counts == [0, 1])
        #expect(Histogram.suggestedBinCount(sampleSize: 100) == 8)
        #expect(throws: StatisticsError.self) { try Histogram(values: [1], binCount: 0) }
    }

    /// Selection gives the sorted quantile bit for bit, on samples shaped to trip a selection up: random,
    /// sorted, reversed, constant, few distinct values, infinities, and zeros of both signs (where only the
    /// stable sort knows which zero comes first).
    @Test func type7BySelectionEqualsTheSortedQuantile() {
        var rng = SeededGenerator(seed: 77)
        var samples: [[Double]] = []
        for n in [1, 2, 3, 4, 5, 10, 101, 1000, 4096] {
            let random = (0..<n).map { _ in rng.normal() }
            samples.append(random)
            samples.append(random.sorted())
            samples.append(random.sorted().reversed())
            samples.append(Array(repeating: 2.5, count: n))
            samples.append((0..<n).map { _ in Double(Int(rng.uniform() * 3)) + 0.5 })  // three distinct values
            samples.append((0..<n).map { i in i % 7 == 0 ? .infinity : (i % 11 == 0 ? -.infinity : rng.normal()) })
            samples.append((0..<n).map { i in i % 2 == 0 ? 0.0 : -0.0 })
            samples.append((0..<n).map { i in i % 3 == 0 ? -0.0 : rng.normal() })
            // organ pipe: rising then falling
            samples.append((0..<n).map { i in Double(min(i, n - i)) })
        }
        let probabilities = [0, 1e-4, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.9999, 1]
        for sample in samples {
            for p in probabilities {
                var scratch = sample
                let selected = Quantiles.type7(selectingIn: &scratch, probability: p)
                let sorted = Quantiles.type7(sample, probability: p)
                #expect(selected.bitPattern == sorted.bitPattern,
                        "n = \(sample.count), p = \(p): selection \(selected), sort \(sorted)")
                #expect(scratch.sorted() == sample.sorted(), "selection only reorders")
            }
        }
        var empty: [Double] = []
        #expect(Quantiles.type7(selectingIn: &empty, probability: 0.5).isNaN)
    }
}

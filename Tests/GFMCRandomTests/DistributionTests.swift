import Foundation
import GFMCRandom
import GFMCStatistics
import Testing

@Suite struct DistributionTests {
    @Test func uniformIsInOpenIntervalWithRightMoments() {
        var s = RandomStream(seed: 2024, width: 10, index: 0, purpose: .custom(300))
        let n = 200_000
        let values = (0..<n).map { _ in s.nextUniform() }
        #expect(values.allSatisfy { $0 > 0 && $0 < 1 })
        let m = SampleMoments(values)
        // Standard errors: mean sqrt(1/12/n) ≈ 6.5e-4, variance sqrt((1/80 − 1/144)/n) ≈ 1.7e-4.
        #expect(abs(m.mean - 0.5) < 3.3e-3, "mean \(m.mean)")
        #expect(abs(m.variance - 1.0 / 12) < 9e-4, "variance \(m.variance)")
        let ks = KolmogorovSmirnov.oneSample(Array(values.prefix(50_000))) { min(max($0, 0), 1) }
        #expect(ks.pValue > 1e-3, "KS vs U(0,1): \(ks)")
    }

    @Test func normalMomentsMatch() {
        var s = RandomStream(seed: 31, width: 1, index: 9, purpose: .custom(301))
        let n = 200_000
        let m = SampleMoments(s.standardNormals(count: n))
        // Standard errors: mean 1/sqrt(n) ≈ 2.2e-3; variance sqrt(2/n) ≈ 3.2e-3; E z⁴ sqrt(96/n) ≈ 0.022.
        #expect(abs(m.mean) < 0.012, "mean \(m.mean)")
        #expect(abs(m.variance - 1) < 0.016, "variance \(m.variance)")
        #expect(abs(m.kurtosis - 3) < 0.11, "kurtosis \(m.kurtosis)")
    }

    @Test func normalPassesKolmogorovSmirnovAndAWrongVarianceFails() {
        var s = RandomStream(seed: 5, width: 3, index: 2, purpose: .custom(302))
        let n = 50_000
        var cosBranch: [Double] = []
        var sinBranch: [Double] = []
        var product = 0.0
        for _ in 0..<n {
            let (a, b) = s.nextStandardNormalPair()
            cosBranch.append(a)
            sinBranch.append(b)
            product += a * b
        }
        let first = KolmogorovSmirnov.oneSample(cosBranch, cdf: standardNormalCDF)
        let second = KolmogorovSmirnov.oneSample(sinBranch, cdf: standardNormalCDF)
        #expect(first.pValue > 1e-3, "cos branch vs Φ: \(first)")
        #expect(second.pValue > 1e-3, "sin branch vs Φ: \(second)")
        // The two values of a pair are uncorrelated (SE 1/sqrt(n)).
        #expect(abs(product / Double(n)) < 5 / Double(n).squareRoot())
        // Negative control: the same draws with standard deviation 1.1 are rejected decisively, and so are
        // draws shifted by 0.05. This shows the test has the power to catch a wrong transform.
        let wrongScale = KolmogorovSmirnov.oneSample(cosBranch.map { 1.1 * $0 }, cdf: standardNormalCDF)
        #expect(wrongScale.pValue < 1e-8, "σ = 1.1 not rejected: \(wrongScale)")
        let wrongMean = KolmogorovSmirnov.oneSample(cosBranch.map { $0 + 0.05 }, cdf: standardNormalCDF)
        #expect(wrongMean.pValue < 1e-8, "mean 0.05 not rejected: \(wrongMean)")
    }

    @Test func fillStandardNormalUsesColumnMajorPairs() {
        let stream = RandomStream(seed: 8, width: 50, index: 1, purpose: .initialU)
        var a = stream
        let matrix = a.fillStandardNormal(rows: 3, cols: 5)
        var b = stream
        let flat = b.standardNormals(count: 15)
        #expect(matrix.storage == flat)
        var c = stream
        var pairs: [Double] = []
        for _ in 0..<8 { let (x, y) = c.nextStandardNormalPair(); pairs += [x, y] }
        #expect(flat == Array(pairs.prefix(15)))
        #expect(a.wordsConsumed == 32)
        var d = stream
        #expect(d.nextStandardNormal() == pairs[0])
        #expect(d.wordsConsumed == 4)
    }

    @Test(arguments: [0.3, 1.0, 2.5, 7.0, 100.0, 1e6])
    func chiSquareMeanAndVariance(k: Double) {
        var s = RandomStream(seed: 11, width: UInt64(k * 10), index: 0, purpose: .custom(303))
        let n = 40_000
        let m = SampleMoments((0..<n).map { _ in s.nextChiSquare(degreesOfFreedom: k) })
        // SE of the mean sqrt(2k/n); relative SE of the variance sqrt((2 + 12/k)/n) (χ² excess kurtosis 12/k).
        #expect(abs(m.mean - k) < 5 * (2 * k / Double(n)).squareRoot(), "k=\(k) mean \(m.mean)")
        let relativeTolerance = 5 * ((2 + 12 / k) / Double(n)).squareRoot()
        #expect(abs(m.variance / (2 * k) - 1) < relativeTolerance, "k=\(k) variance \(m.variance)")
    }

    @Test func chiSquareOneAndTwoMatchTheirExactLaws() {
        // χ²₁ = Z² has CDF erf(sqrt(x/2)) (exercises the shape < 1 boost); χ²₂ is exponential with mean 2.
        var s = RandomStream(seed: 12, width: 0, index: 0, purpose: .custom(304))
        let n = 30_000
        let one = (0..<n).map { _ in s.nextChiSquare(degreesOfFreedom: 1) }
        let two = (0..<n).map { _ in s.nextChiSquare(degreesOfFreedom: 2) }
        let ksOne = KolmogorovSmirnov.oneSample(one) { $0 <= 0 ? 0 : erf(($0 / 2).squareRoot()) }
        let ksTwo = KolmogorovSmirnov.oneSample(two) { $0 <= 0 ? 0 : 1 - exp(-$0 / 2) }
        #expect(ksOne.pValue > 1e-3, "χ²₁: \(ksOne)")
        #expect(ksTwo.pValue > 1e-3, "χ²₂: \(ksTwo)")
        // Negative control: χ²₂ draws against the χ²₁ law are rejected.
        let wrong = KolmogorovSmirnov.oneSample(two) { $0 <= 0 ? 0 : erf(($0 / 2).squareRoot()) }
        #expect(wrong.pValue < 1e-8)
    }

    @Test func chiSquareWithHugeDegreesOfFreedomIsAccurate() {
        // k = 10¹²: (χ² − k)/sqrt(2k) is standard normal to within O(k^{-1/2}).
        let k = 1e12
        var s = RandomStream(seed: 13, width: 0, index: 0, purpose: .custom(305))
        let n = 20_000
        let z = (0..<n).map { _ in (s.nextChiSquare(degreesOfFreedom: k) - k) / (2 * k).squareRoot() }
        let m = SampleMoments(z)
        #expect(abs(m.mean) < 5 / Double(n).squareRoot(), "mean \(m.mean)")
        #expect(abs(m.variance - 1) < 5 * (2 / Double(n)).squareRoot(), "variance \(m.variance)")
        let ks = KolmogorovSmirnov.oneSample(z, cdf: standardNormalCDF)
        #expect(ks.pValue > 1e-3, "standardized χ²(1e12) vs Φ: \(ks)")
    }

    @Test func gammaShapeBelowOneHasRightMoments() {
        // Gamma(a): mean a, variance a. a = 0.05 stresses the boost.
        let a = 0.05
        var s = RandomStream(seed: 14, width: 0, index: 0, purpose: .custom(306))
        let n = 100_000
        let values = (0..<n).map { _ in s.nextGamma(shape: a) }
        #expect(values.allSatisfy { $0 >= 0 && $0.isFinite })
        let m = SampleMoments(values)
        #expect(abs(m.mean - a) < 5 * (a / Double(n)).squareRoot(), "mean \(m.mean)")
        // Gamma excess kurtosis 6/a; relative SE of the variance sqrt((2 + 6/a)/n).
        #expect(abs(m.variance / a - 1) < 5 * ((2 + 6 / a) / Double(n)).squareRoot(), "variance \(m.variance)")
    }
}

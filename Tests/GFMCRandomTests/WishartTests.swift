import Foundation
import GFMCLinearAlgebra
import GFMCRandom
import GFMCStatistics
import Testing

@Suite struct WishartTests {
    @Test func factorIsLowerTriangularAndConsistentWithTheMatrix() {
        let stream = RandomStream(seed: 3, width: 40, index: 5, purpose: .reducedState)
        var a = stream
        let factor = a.wishartBartlettFactor(dimension: 4, degreesOfFreedom: 6, scaleDiagonal: [1, 2, 0.5, 3])
        for j in 0..<4 {
            #expect(factor[j, j] > 0)
            for i in 0..<j { #expect(factor[i, j] == 0) }
        }
        var b = stream
        let k = b.wishartBartlett(dimension: 4, degreesOfFreedom: 6, scaleDiagonal: [1, 2, 0.5, 3])
        let product = factor.times(factor, transposeOther: true)
        #expect((k - product).maxAbs < 1e-12 * product.maxAbs)
        #expect(k == k.transposed)
        #expect(a.wordsConsumed == b.wordsConsumed)
    }

    @Test func meanAndEntryVariancesMatchWishart() {
        // K ~ Wishart_p(h, D): E K = h D, Var K_ij = h d_i d_j (i ≠ j), Var K_ii = 2 h d_i².
        let d = [0.5, 1.0, 2.0]
        let p = 3
        let h = 7
        let n = 20_000
        var s = RandomStream(seed: 21, width: UInt64(h), index: 0, purpose: .reducedState)
        var sum = [Double](repeating: 0, count: p * p)
        var sumSquares = [Double](repeating: 0, count: p * p)
        for _ in 0..<n {
            let k = s.wishartBartlett(dimension: p, degreesOfFreedom: h, scaleDiagonal: d)
            for e in 0..<(p * p) {
                sum[e] += k.storage[e]
                sumSquares[e] += k.storage[e] * k.storage[e]
            }
        }
        for i in 0..<p {
            for j in 0..<p {
                let e = i + j * p
                let mean = sum[e] / Double(n)
                let variance = (sumSquares[e] - Double(n) * mean * mean) / Double(n - 1)
                let expectedMean = i == j ? Double(h) * d[i] : 0
                let expectedVariance = i == j ? 2 * Double(h) * d[i] * d[i] : Double(h) * d[i] * d[j]
                #expect(abs(mean - expectedMean) < 5 * (expectedVariance / Double(n)).squareRoot(),
                        "mean K[\(i),\(j)] = \(mean), expected \(expectedMean)")
                // Relative SE of a sample variance here is below 0.015 (excess kurtosis ≤ 12/h).
                #expect(abs(variance / expectedVariance - 1) < 0.08,
                        "Var K[\(i),\(j)] = \(variance), expected \(expectedVariance)")
            }
        }
    }

    /// Explicit Z Zᵀ with Z p×h, row i ~ N(0, d_i).
    static func explicitGram(_ s: inout RandomStream, h: Int, d: [Double]) -> Matrix {
        var z = s.fillStandardNormal(rows: d.count, cols: h)
        for j in 0..<h { for i in 0..<d.count { z[i, j] *= d[i].squareRoot() } }
        return z.times(z, transposeOther: true)
    }

    @Test func bartlettMatchesExplicitGramInDistribution() throws {
        let d = [0.5, 1.0, 2.0]
        let h = 5
        let n = 3000
        var bartlettStream = RandomStream(seed: 22, width: UInt64(h), index: 0, purpose: .reducedState)
        var explicitStream = RandomStream(seed: 22, width: UInt64(h), index: 0, purpose: .initialU)
        var wrongStream = RandomStream(seed: 22, width: UInt64(h + 1), index: 0, purpose: .reducedState)
        var bartlettTop: [Double] = [], explicitTop: [Double] = [], wrongTop: [Double] = []
        var bartlettOff: [Double] = [], explicitOff: [Double] = []
        var bartlettBottom: [Double] = [], explicitBottom: [Double] = []
        for _ in 0..<n {
            let kb = bartlettStream.wishartBartlett(dimension: 3, degreesOfFreedom: h, scaleDiagonal: d)
            let ke = Self.explicitGram(&explicitStream, h: h, d: d)
            let kw = wrongStream.wishartBartlett(dimension: 3, degreesOfFreedom: h + 1, scaleDiagonal: d)
            let eb = try kb.symmetricEigenvalues()
            let ee = try ke.symmetricEigenvalues()
            bartlettTop.append(eb[0]); explicitTop.append(ee[0])
            bartlettBottom.append(eb[2]); explicitBottom.append(ee[2])
            wrongTop.append(try kw.symmetricEigenvalues()[0])
            bartlettOff.append(kb[2, 0]); explicitOff.append(ke[2, 0])
        }
        let top = KolmogorovSmirnov.twoSample(bartlettTop, explicitTop)
        let bottom = KolmogorovSmirnov.twoSample(bartlettBottom, explicitBottom)
        let off = KolmogorovSmirnov.twoSample(bartlettOff, explicitOff)
        #expect(top.pValue > 1e-3, "largest eigenvalue: \(top)")
        #expect(bottom.pValue > 1e-3, "smallest eigenvalue: \(bottom)")
        #expect(off.pValue > 1e-3, "K[2,0]: \(off)")
        // Negative control: one extra degree of freedom is detected.
        let wrong = KolmogorovSmirnov.twoSample(wrongTop, explicitTop)
        #expect(wrong.pValue < 1e-6, "h+1 not detected: \(wrong)")
    }

    @Test func hugeWidthConcentratesAndKeepsItsFluctuations() {
        // h = 10¹²: K/h → D with fluctuations O(h^{-1/2}) = 1e-6.
        let h = 1e12
        let d = [0.25, 1.0, 4.0, 1.0]
        var s = RandomStream(seed: 23, width: 1_000_000_000_000, index: 0, purpose: .reducedState)
        for _ in 0..<10 {
            let k = s.wishartBartlett(dimension: 4, degreesOfFreedom: h, scaleDiagonal: d)
            #expect(k.isFinite)
            for i in 0..<4 {
                #expect(abs(k[i, i] / (h * d[i]) - 1) < 1e-4)
                for j in 0..<i { #expect(abs(k[i, j]) / h < 1e-4) }
            }
        }
        // Scaled fluctuations are of order one: the normals are not lost to rounding.
        var t = RandomStream(seed: 24, width: 1_000_000_000_000, index: 0, purpose: .reducedState)
        let n = 2000
        let scaled = (0..<n).map { _ in
            t.wishartBartlett(dimension: 2, degreesOfFreedom: h, scaleDiagonal: [1, 1])[1, 0] / h.squareRoot()
        }
        let m = SampleMoments(scaled)
        #expect(abs(m.variance - 1) < 5 * (2 / Double(n)).squareRoot(), "Var K[1,0]/h = \(m.variance)")
    }

    @Test func zeroDimensionAndZeroScale() {
        var s = RandomStream(seed: 1, width: 1, index: 0, purpose: .reducedState)
        let empty = s.wishartBartlett(dimension: 0, degreesOfFreedom: 3, scaleDiagonal: [])
        #expect(empty.rows == 0 && empty.cols == 0)
        let k = s.wishartBartlett(dimension: 2, degreesOfFreedom: 4, scaleDiagonal: [0, 1])
        #expect(k[0, 0] == 0 && k[0, 1] == 0 && k[1, 0] == 0 && k[1, 1] > 0)
    }
}

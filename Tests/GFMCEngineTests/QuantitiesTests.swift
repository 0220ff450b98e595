import Foundation
import Testing
import GFMCEngine
import GFMCLinearAlgebra

@Suite("Imbalance spectrum, rate constant, bounds")
struct QuantitiesTests {
    /// Scalar sanity case (theory.md §3): n = m = h = 1, X = 1, d = u² − v² conserved.
    @Test(arguments: [(0.7, 0.2, 1.3), (0.1, 0.9, -0.4), (1.5, 1.5, 0.3), (0.3, -0.8, 2.0)])
    func scalarCase(u: Double, v: Double, y: Double) throws {
        let problem = try Problem(x: Matrix(rowArrays: [[1]]), y: Matrix(rowArrays: [[y]]))
        let state = ReducedInitialState(problem: problem, u0: Matrix(rowArrays: [[u]]), v0: Matrix(rowArrays: [[v]]))
        let spectrum = try ImbalanceSpectrum(reducedGram: state.gram, rank: 1)
        let d = u * u - v * v
        #expect(abs(spectrum.effectiveImbalance - abs(d)) < 1e-14)
        #expect(spectrum.deltaPlus == 0 && spectrum.deltaMinus == 0)
        let constants = try ProblemConstants(problem: problem)
        let residual = abs(y - u * v)
        let c = RateConstant.value(spectrum: spectrum, constants: constants, residualNorm: residual)
        let margin = max(abs(y) - residual, 0)
        #expect(abs(c - 2 * (d * d + 4 * margin * margin).squareRoot()) < 1e-13)
        #expect(abs(RateConstant.margin(constants: constants, residualNorm: residual) - margin) < 1e-15)
        let e = RateConstant.reducedResidual(problem: problem, reducedGram: state.gram)
        #expect(abs(e.frobeniusNorm - residual) < 1e-14)
    }

    /// λ_i(A) with the paper's convention (0 beyond the size), from a directly computed spectrum.
    static func lambda(_ values: [Double], _ i: Int) -> Double { i <= values.count ? values[i - 1] : 0 }

    /// The (r+m)-sized spectrum against the h×h matrix D = U1ᵀU1 − VᵀV, for h above and below r + m and
    /// rank-deficient X with N > r.
    @Test(arguments: [(5, 7, 2, 5, 3), (5, 7, 2, 5, 12), (6, 8, 3, 2, 4), (6, 8, 3, 2, 9), (4, 4, 1, 4, 2)])
    func spectrumMatchesDirectComputation(samples: Int, n: Int, m: Int, rank: Int, h: Int) throws {
        let seed = UInt64(samples * 1000 + n * 100 + h)
        let x = rank < min(samples, n)
            ? TestSupport.matrix(samples, rank, seed: seed) * TestSupport.matrix(rank, n, seed: seed + 1)
            : TestSupport.matrix(samples, n, seed: seed)
        let problem = try Problem(x: x, y: TestSupport.matrix(samples, m, seed: seed + 2))
        #expect(problem.rank == rank)
        let u0 = TestSupport.matrix(n, h, seed: seed + 3), v0 = TestSupport.matrix(m, h, seed: seed + 4, scale: 1.3)
        let u1 = problem.phi1.times(u0, transposeSelf: true)
        let d = (u1.times(u1, transposeSelf: true) - v0.times(v0, transposeSelf: true)).symmetrized
        let direct = try d.symmetricEigenvalues()
        let state = ReducedInitialState(problem: problem, u0: u0, v0: v0)
        let spectrum = try ImbalanceSpectrum(reducedGram: state.gram, rank: rank)
        let scale = direct.map(abs).max()!
        let directPositive = direct.filter { $0 > 1e-10 * scale }
        let directNegative = direct.filter { $0 < -1e-10 * scale }.map { -$0 }.sorted(by: >)
        #expect(spectrum.positive.count == directPositive.count)
        #expect(spectrum.negative.count == directNegative.count)
        for (a, b) in zip(spectrum.positive, directPositive) { #expect(abs(a - b) < 1e-11 * scale) }
        for (a, b) in zip(spectrum.negative, directNegative) { #expect(abs(a - b) < 1e-11 * scale) }
        // Paper conventions from the direct h×h spectrum (clamped positive parts).
        let plus = { (i: Int) in max(Self.lambda(direct, i), 0) }
        let minusD = direct.map { -$0 }.sorted(by: >)
        let minus = { (i: Int) in max(Self.lambda(minusD, i), 0) }
        let tol = 1e-10 * scale
        #expect(abs(spectrum.deltaPlus - (plus(1) - plus(rank))) < tol)
        #expect(abs(spectrum.deltaMinus - (minus(1) - minus(m))) < tol)
        #expect(abs(spectrum.effectiveImbalance - (plus(rank) + minus(m))) < tol)
        // Lemma 11's measured quantities from the reduced state equal the direct products.
        let u2 = problem.phi2.times(u0, transposeSelf: true)
        let stacked = Matrix.vstack(v0.times(u2, transposeOther: true), u1.times(u2, transposeOther: true))
        #expect(abs(state.nullSpaceCoupling.frobeniusNorm - stacked.frobeniusNorm) < 1e-12 * max(1, stacked.frobeniusNorm))
        #expect(abs(state.endToEndReduced.frobeniusNorm - u1.times(v0, transposeOther: true).frobeniusNorm) < 1e-12 * scale)
        #expect(abs(state.nullSpaceEndToEnd.frobeniusNorm - u2.times(v0, transposeOther: true).frobeniusNorm) < 1e-12 * scale)
    }

    @Test func driftIsRelativeToTheLargestEigenvalue() throws {
        let a = try ImbalanceSpectrum(reducedGram: Matrix.diagonal([4, 1, 2]), rank: 2)
        #expect(zip(a.eigenvalues, [4.0, 1, -2]).allSatisfy { abs($0 - $1) < 1e-14 })
        let b = try ImbalanceSpectrum(reducedGram: Matrix.diagonal([4, 1.004, 2]), rank: 2)
        #expect(abs(ImbalanceSpectrum.relativeDrift(from: a, to: b) - 0.001) < 1e-12)
    }

    /// The final-state drift check uses `rawEigenvalues`, which skips ‖K_r‖₂: its eigenvalues must be those of
    /// the full spectrum bit for bit, for a definite K_r (Cholesky path) and a singular one (h < r + m).
    @Test(arguments: [12, 3])
    func rawEigenvaluesAreTheSpectrumsBitForBit(width: Int) throws {
        var z = Matrix(rows: 7, cols: width)
        for j in 0..<width { for i in 0..<7 { z[i, j] = sin(Double(3 * i + 5 * j + 1)) } }
        let k = z.times(z, transposeOther: true)
        let full = try ImbalanceSpectrum(reducedGram: k, rank: 5)
        let raw = try ImbalanceSpectrum.rawEigenvalues(reducedGram: k, rank: 5)
        #expect(raw.map(\.bitPattern) == full.eigenvalues.map(\.bitPattern))
        #expect(ImbalanceSpectrum.relativeDrift(from: full, toEigenvalues: raw) == 0)
        #expect(ImbalanceSpectrum.relativeDrift(from: full, toEigenvalues: [1]).isNaN)
    }

    @Test func measuredRateOnSyntheticTraces() {
        let times = (0...200).map { Double($0) * 0.05 }
        let pure = times.map { 3 * exp(-2.5 * $0) }
        #expect(abs(LossTraceAnalysis.measuredRate(times: times, excessLosses: pure) - 2.5) < 1e-9)
        // A fast transient plus a slow mode: the final decade sees the slow mode.
        let mixed = times.map { exp(-1.0 * $0) + 50 * exp(-9 * $0) }
        #expect(abs(LossTraceAnalysis.measuredRate(times: times, excessLosses: mixed) - 1.0) < 1e-3)
        // Never fell by a factor 10: not measurable.
        let flat = times.map { 1 + 0.001 * exp(-$0) }
        #expect(LossTraceAnalysis.measuredRate(times: times, excessLosses: flat).isNaN)
        // A stagnating tail below the cutoff is ignored.
        let stagnating = times.map { max(3 * exp(-2.5 * $0), 1e-6) }
        #expect(abs(LossTraceAnalysis.measuredRate(times: times, excessLosses: stagnating, cutoff: 1e-4) - 2.5) < 1e-9)
        #expect(LossTraceAnalysis.measuredRate(times: times, excessLosses: stagnating) < 0.5)
        #expect(LossTraceAnalysis.analysedCount(excessLosses: [1, 0.1, 0.01, 0.01], cutoff: 0.05) == 3)
    }

    @Test func theorem3CheckUsesRelativeSlack() {
        let times = (0...50).map { Double($0) * 0.1 }
        let exact = times.map { 2 * exp(-1.5 * $0) }
        #expect(LossTraceAnalysis.theorem3Holds(times: times, excessLosses: exact, initialExcessLoss: 2, rate: 1.5))
        var above = exact
        above[30] *= 1 + 1e-7
        #expect(!LossTraceAnalysis.theorem3Holds(times: times, excessLosses: above, initialExcessLoss: 2, rate: 1.5))
        above[30] = exact[30] * (1 + 1e-10)
        #expect(LossTraceAnalysis.theorem3Holds(times: times, excessLosses: above, initialExcessLoss: 2, rate: 1.5))
        #expect(!LossTraceAnalysis.theorem3Holds(times: [0, 1], excessLosses: [2, .nan], initialExcessLoss: 2, rate: 1))
        // Points after the first one below the cutoff are not checked.
        var floored = exact
        for i in 40...50 { floored[i] = 1e-2 }
        #expect(!LossTraceAnalysis.theorem3Holds(times: times, excessLosses: floored, initialExcessLoss: 2, rate: 1.5))
        #expect(LossTraceAnalysis.theorem3Holds(times: times, excessLosses: floored, initialExcessLoss: 2, rate: 1.5, cutoff: 6e-3))
    }

    @Test func paperBoundsStructure() {
        // At δ = 2e^{−4} the stated tail ½log(2/δ) = 2 equals the corrected sqrt(log(2/δ)) = 2.
        let delta = 2 * exp(-4.0)
        #expect(abs(PaperBounds.tail(delta, .asStated) - 2) < 1e-14)
        #expect(abs(PaperBounds.tail(delta, .corrected) - 2) < 1e-14)
        // Lemma 11 (34) by hand: m = 1, r = 100, n = 400, h = 500, α = 1/2.
        let l34 = PaperBounds.lemma34Bound(m: 1, r: 100, n: 400, width: 500, alpha: 0.5, delta: delta)
        #expect(abs(l34 - 2 * sqrt(101.0) * (sqrt(401.0) + 2) / sqrt(500.0)) < 1e-12)
        let l35 = PaperBounds.lemma35Bound(m: 1, n: 400, width: 500, alpha: 0.5, delta: delta)
        #expect(abs(l35 - 2 * (sqrt(401.0) + 2) / sqrt(500.0)) < 1e-12)
        // α = 1/2: C^{1/h⁰} = C.
        let t12 = PaperBounds.theorem12Bound(m: 1, r: 100, n: 400, width: 500, alpha: 0.5, delta: delta,
                                             lambdaMax: 4, lambdaMin: 1, yFrobenius: 0.5)
        #expect(abs(t12 - exp(1 + 2 * 0.5) * l34) < 1e-12 * t12)
        // α = 0.3: exponent 1/h^{0.4}, decay h^{−0.1}.
        let t12b = PaperBounds.theorem12Bound(m: 2, r: 3, n: 10, width: 1000, alpha: 0.3, delta: 0.01,
                                              lambdaMax: 1, lambdaMin: 1, yFrobenius: 1, tail: .corrected)
        let expected = exp(2 / pow(1000, 0.4)) * 2 * sqrt(5.0) * (sqrt(12.0) + sqrt(log(200.0))) / pow(1000, 0.1)
        #expect(abs(t12b - expected) < 1e-12 * expected)
        // h0 and the width threshold.
        let a = sqrt(401.0) + 0.5 * log(2 / 0.05)
        let h0 = PaperBounds.h0(m: 1, n: 400, delta: 0.05, lambdaMax: 2, lambdaMin: 0.5)
        #expect(abs(h0 - max(16 * a * a, 4 * (2 / 0.125) * a * a)) < 1e-9 * h0)
        #expect(PaperBounds.widthThreshold(h0: h0, alpha: 0.5) == h0)
        #expect(abs(PaperBounds.widthThreshold(h0: 100, alpha: 0.375) - 10000) < 1e-8)
        #expect(PaperBounds.isValidAlpha(0.5) && !PaperBounds.isValidAlpha(0.25) && !PaperBounds.isValidAlpha(0.51))
    }

    /// The generalized prediction reduces to theory.md §6's whitened formula when Σx = I.
    @Test func predictionMatchesWhitenedFormula() throws {
        let problem = try DataRecipe.whitened(samples: 6, inputDimension: 15, outputDimension: 3, noise: 0.01)
            .problem(seed: 11)
        #expect(problem.sigmaX.allSatisfy { abs($0 - 1) < 1e-12 })
        let constants = try ProblemConstants(problem: problem)
        for (h, alpha) in [(400, 0.5), (2000, 0.3), (10_000, 0.4)] {
            let c = pow(Double(h), 1 - 2 * alpha)
            var a = problem.yTilde.times(problem.yTilde, transposeSelf: true)
            for i in 0..<a.rows { a[i, i] += c * c }
            let tr = try a.symmetricEigenvalues().reduce(0) { $0 + $1.squareRoot() }
            let formula = (Double(problem.inputDimension - problem.rank) * c * tr / Double(h)).squareRoot()
            let predicted = try LeadingOrderPrediction.distance(constants: constants, width: h,
                                                                initialization: .widthScaled(alpha: alpha))
            #expect(abs(predicted - formula) < 1e-12 * formula)
        }
        #expect(try LeadingOrderPrediction.distance(constants: constants, width: 100,
                                                    initialization: .gaussian(sigmaU: 0.1, sigmaV: 0.2)).isNaN)
        #expect(try LeadingOrderPrediction.distance(constants: constants, width: 100,
                                                    initialization: .invariantSet(.widthScaled(alpha: 0.5))) == 0)
    }
}

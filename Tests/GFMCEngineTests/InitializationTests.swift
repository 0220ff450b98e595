import Foundation
import GFMCModel
import Testing
import GFMCEngine
import GFMCLinearAlgebra
import GFMCStatistics

@Suite("Initializations and reduced sampling")
struct InitializationTests {
    static func problem() throws -> Problem {
        try DataRecipe.gaussian(samples: 3, inputDimension: 6, outputDimension: 2, noise: 0.1).problem(seed: 5)
    }

    @Test func widthScaledIsGaussianWithSigmaHToMinusAlpha() throws {
        let p = try Self.problem()
        let id = TrialID(width: 16, index: 3)
        let a = try InitialWeights.make(.widthScaled(alpha: 0.5), problem: p, studySeed: 9, trial: id)
        let b = try InitialWeights.make(.gaussian(sigmaU: 0.25, sigmaV: 0.25), problem: p, studySeed: 9, trial: id)
        #expect(a.u == b.u && a.v == b.v)
        #expect(a.u.rows == 6 && a.u.cols == 16 && a.v.rows == 2 && a.v.cols == 16)
        let other = try InitialWeights.make(.widthScaled(alpha: 0.5), problem: p, studySeed: 9, trial: TrialID(width: 16, index: 4))
        #expect(other.u != a.u)
    }

    @Test func invariantSetSatisfiesProposition10() throws {
        let p = try Self.problem()
        let (u, v) = try InitialWeights.make(.invariantSet(.fixed(sigmaU: 0.3, sigmaV: 0.2)), problem: p, studySeed: 1,
                                             trial: TrialID(width: 10, index: 0))
        let u2 = p.phi2.times(u, transposeSelf: true)
        let u1 = p.phi1.times(u, transposeSelf: true)
        #expect(v.times(u2, transposeOther: true).maxAbs < 1e-15)
        #expect(u1.times(u2, transposeOther: true).maxAbs < 1e-15)
        #expect(u1.frobeniusNorm > 0.1)
    }

    @Test func balancedStartKeepsEndToEndMatrixAndIsBalanced() throws {
        let p = try Self.problem()
        for h in [1, 2, 12] {
            let id = TrialID(width: h, index: 2)
            let g = try InitialWeights.make(.gaussian(sigmaU: 0.5, sigmaV: 0.02), problem: p, studySeed: 4, trial: id)
            let b = try InitialWeights.make(.balanced(.fixed(sigmaU: 0.5, sigmaV: 0.02)), problem: p, studySeed: 4, trial: id)
            let m = g.u.times(g.v, transposeOther: true)
            #expect((b.u.times(b.v, transposeOther: true) - m).maxAbs < 1e-13)
            let imbalance = b.u.times(b.u, transposeSelf: true) - b.v.times(b.v, transposeSelf: true)
            #expect(imbalance.maxAbs < 1e-13)
        }
    }

    @Test func explicitShapesAreCheckedNamingTheField() throws {
        let p = try Self.problem()
        let id = TrialID(width: 4, index: 0)
        let v = Matrix(rows: 2, cols: 4, repeating: 0.1)
        #expect(throws: InitializationError.invalid(field: "U0", reason: "has 5 rows, the input dimension n is 6")) {
            try InitialWeights.make(.explicit(u0: Matrix(rows: 5, cols: 4), v0: v), problem: p, studySeed: 0, trial: id)
        }
        #expect(throws: InitializationError.invalid(field: "V0", reason: "has 3 columns, U0 has 4 (both are ·×h)")) {
            try InitialWeights.make(.explicit(u0: Matrix(rows: 6, cols: 4), v0: Matrix(rows: 2, cols: 3)),
                                    problem: p, studySeed: 0, trial: id)
        }
        #expect(throws: InitializationError.invalid(field: "width", reason: "is 5 but U0 and V0 have 4 columns")) {
            try InitialWeights.make(.explicit(u0: Matrix(rows: 6, cols: 4), v0: v), problem: p, studySeed: 0,
                                    trial: TrialID(width: 5, index: 0))
        }
        var bad = Matrix(rows: 6, cols: 4)
        bad[2, 1] = .nan
        #expect(throws: ProblemError.nonFinite(field: "U0", row: 2, column: 1)) {
            try InitialWeights.make(.explicit(u0: bad, v0: v), problem: p, studySeed: 0, trial: id)
        }
        #expect(throws: InitializationError.invalid(field: "width", reason: "must be at least 1, got 0")) {
            try InitialWeights.make(.widthScaled(alpha: 0.5), problem: p, studySeed: 0, trial: TrialID(width: 0, index: 0))
        }
        #expect(throws: InitializationError.invalid(field: "initialization.sigmaV", reason: "must be finite and ≥ 0, got -1.0")) {
            try InitialWeights.make(.gaussian(sigmaU: 1, sigmaV: -1), problem: p, studySeed: 0, trial: id)
        }
    }

    /// Statistics of a reduced state that the sampler must reproduce in distribution.
    static func features(_ s: ReducedInitialState, rank r: Int) -> [Double] {
        [s.gram[0, 0], s.gram[r, r], s.gram[0, r], s.gram[1, 0],
         s.nullSpaceCoupling.frobeniusNorm, s.nullSpaceCoupling[0, r], s.nullSpaceEndToEnd.frobeniusNorm]
    }

    static func compare(width h: Int, sampledSigmaU: Double, trials: Int = 500) throws -> [Double] {
        let p = try problem()
        let (su, sv) = (0.7, 0.4)
        var explicit: [[Double]] = [], sampled: [[Double]] = []
        for k in 0..<trials {
            let id = TrialID(width: h, index: k)
            let (u, v) = try InitialWeights.make(.gaussian(sigmaU: su, sigmaV: sv), problem: p, studySeed: 2026, trial: id)
            explicit.append(features(ReducedInitialState(problem: p, u0: u, v0: v), rank: p.rank))
            sampled.append(features(ReducedInitialState.sample(problem: p, sigmaU: sampledSigmaU, sigmaV: sv,
                                                               nullSpaceIsZero: false, studySeed: 2026, trial: id),
                                    rank: p.rank))
        }
        return (0..<explicit[0].count).map { f in
            KolmogorovSmirnov.twoSample(explicit.map { $0[f] }, sampled.map { $0[f] }).pValue
        }
    }

    /// Theory §5.1: (K_r(0), C(0)) drawn directly has the law of the explicit Gaussian start, by Bartlett
    /// (h ≥ r + m) and explicitly (h < r + m). Fixed seeds; threshold 1e-3 per statistic.
    @Test(arguments: [3, 9])
    func reducedSamplerMatchesExplicitDistribution(width: Int) throws {
        let pValues = try Self.compare(width: width, sampledSigmaU: 0.7)
        for (f, pv) in pValues.enumerated() { #expect(pv > 1e-3, "statistic \(f): p = \(pv)") }
    }

    /// The same comparison must fail for a deliberately wrong sampler (σ_U doubled).
    @Test(arguments: [3, 9])
    func wrongSamplerVarianceIsDetected(width: Int) throws {
        let pValues = try Self.compare(width: width, sampledSigmaU: 1.4)
        #expect(pValues.min()! < 1e-6, "p-values \(pValues)")
    }

    @Test func invariantSetSamplerHasNoNullSpaceCoupling() throws {
        let p = try Self.problem()
        for h in [2, 40, 1_000_000_000] {
            let s = ReducedInitialState.sample(problem: p, sigmaU: 0.1, sigmaV: 0.1, nullSpaceIsZero: true,
                                               studySeed: 2, trial: TrialID(width: h, index: 0))
            #expect(s.nullSpaceCoupling.maxAbs == 0)
            #expect(s.gram.rows == p.rank + 2 && s.gram.isFinite)
        }
        // Mean of the Wishart draw at huge width: K_r(0) / h → diag(σ²) with fluctuations O(h^{−1/2}).
        let s = ReducedInitialState.sample(problem: p, sigmaU: 2, sigmaV: 3, nullSpaceIsZero: false,
                                           studySeed: 2, trial: TrialID(width: 1_000_000_000_000, index: 1))
        #expect(abs(s.gram[0, 0] / 1e12 - 4) < 1e-4 && abs(s.gram[p.rank, p.rank] / 1e12 - 9) < 1e-4)
        #expect(abs(s.gram[0, p.rank] / 1e12) < 1e-4)
    }
}

import GFMCEngine
import GFMCLinearAlgebra
import Testing

/// The imbalance D = U1ᵀU1 − VᵀV is conserved by the flow; equivalently the spectrum of K_r J,
/// J = diag(I_r, −I_m), computed as the spectrum of the symmetric K_r^{1/2} J K_r^{1/2} (theory.md §3, §5).
@Suite struct IntegratorInvariantTests {
    static func maxRelativeDrift(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(a.map(abs).max() ?? 0, .leastNormalMagnitude)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    static func imbalanceSpectrum(_ k: Matrix, rank r: Int) throws -> [Double] {
        let root = try k.symmetricSquareRoot()
        var j = Matrix.identity(k.rows)
        for i in r..<k.rows { j[i, i] = -1 }
        return try (root * j * root).symmetrized.symmetricEigenvalues()
    }

    @Test func weightsEngineConservesImbalance() throws {
        var rng = IntegratorTestRNG(seed: 21)
        let problem = try integratorRandomProblem(samples: 7, inputs: 9, outputs: 2, rank: 4, rng: &rng)
        let h = 8
        let u0 = rng.matrix(9, h, scale: 0.5), v0 = rng.matrix(2, h, scale: 0.2)
        func spectrum(_ u: Matrix, _ v: Matrix) throws -> [Double] {
            let u1 = problem.phi1.times(u, transposeSelf: true)
            return try (u1.times(u1, transposeSelf: true) - v.times(v, transposeSelf: true)).symmetrized
                .symmetricEigenvalues()
        }
        let run = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        #expect(run.outcome.converged)
        #expect(Self.maxRelativeDrift(try spectrum(u0, v0), try spectrum(run.u, run.v)) <= 1e-9)
    }

    @Test func gramEngineConservesSpectrumOfKJ() throws {
        var rng = IntegratorTestRNG(seed: 22)
        let problem = try integratorRandomProblem(samples: 6, inputs: 12, outputs: 3, rng: &rng)
        let r = problem.rank, dim = r + 3
        let z = rng.matrix(dim, 40, scale: 0.3)
        let k0 = z.times(z, transposeOther: true).symmetrized
        let run = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: IntegrationSettings())
        #expect(run.outcome.converged)
        let before = try Self.imbalanceSpectrum(k0, rank: r)
        let after = try Self.imbalanceSpectrum(run.gram, rank: r)
        #expect(Self.maxRelativeDrift(before, after) <= 1e-9)
        // The transition matrix preserves the indefinite form: Φᵀ J Φ-congruence keeps K J's spectrum, and
        // K(end) = Φ K0 Φᵀ exactly in exact arithmetic.
        let propagated = run.transition * k0 * run.transition.transposed
        #expect(integratorRelativeDifference(propagated, run.gram) <= 1e-9)
    }
}

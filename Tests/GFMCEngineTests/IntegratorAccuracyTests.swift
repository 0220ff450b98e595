import GFMCEngine
import GFMCLinearAlgebra
import Testing

/// The accuracy contract: default settings agree with a much tighter reference to 1e-7 relative in the
/// end-to-end matrix and in the distance to Θ̂ (theory.md §2: ‖UVᵀ − Θ̂‖ = ‖U2(0)V(∞)ᵀ‖).
@Suite struct IntegratorAccuracyTests {
    static func distance(_ p: Problem, u0: Matrix, v: Matrix) -> Double {
        p.phi2.times(u0, transposeSelf: true).times(v, transposeOther: true).frobeniusNorm
    }

    @Test func defaultSettingsMeetTheContractOnASmallProblem() throws {
        var rng = IntegratorTestRNG(seed: 51)
        let problem = try integratorRandomProblem(samples: 6, inputs: 15, outputs: 2, rank: 5, rng: &rng)
        let h = 30
        let u0 = rng.matrix(15, h, scale: 1 / Double(h).squareRoot())
        let v0 = rng.matrix(2, h, scale: 1 / Double(h).squareRoot())
        let run = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        let reference = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: integratorTightSettings())
        #expect(run.outcome.converged && reference.outcome.converged)
        let theta = run.u.times(run.v, transposeOther: true)
        let thetaRef = reference.u.times(reference.v, transposeOther: true)
        #expect(integratorRelativeDifference(theta, thetaRef) <= 1e-7)
        let d = Self.distance(problem, u0: u0, v: run.v), dRef = Self.distance(problem, u0: u0, v: reference.v)
        #expect(abs(d - dRef) <= 1e-7 * dRef)
        // The exact identity and the direct difference agree at convergence.
        #expect(abs((theta - problem.thetaHat).frobeniusNorm - d) <= 1e-7 * d)

        let zr0 = integratorReducedState(problem, u: u0, v: v0)
        let k0 = zr0.times(zr0, transposeOther: true).symmetrized
        let g = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: IntegrationSettings())
        #expect(g.outcome.converged)
        let (thetaG, _) = integratorGramTheta(problem, u0: u0, v0: v0, gram: g.gram, transition: g.transition)
        #expect(integratorRelativeDifference(thetaG, thetaRef) <= 1e-7)
    }

    /// The paper's wide-network problem (theory.md §7.3) at h = 500: N = 100, n = 400, m = 1, X entries
    /// N(0, 1/400), Y = XΘ + ε, init N(0, 1/h). Default settings converge, and both engines agree with a
    /// tight Gram reference to 1e-7 in the distance to Θ̂.
    @Test func paperProblemAtWidth500() throws {
        var rng = IntegratorTestRNG(seed: 52)
        let n = 400, samples = 100, h = 500
        let x = rng.matrix(samples, n, scale: 1.0 / 20)
        let y = x * rng.matrix(n, 1, scale: 1.0 / 20) + rng.matrix(samples, 1, scale: 0.01)
        let problem = try Problem(x: x, y: y)
        #expect(problem.rank == samples)
        let u0 = rng.matrix(n, h, scale: 1 / Double(h).squareRoot())
        let v0 = rng.matrix(1, h, scale: 1 / Double(h).squareRoot())
        let zr0 = integratorReducedState(problem, u: u0, v: v0)
        let k0 = zr0.times(zr0, transposeOther: true).symmetrized

        let reference = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: integratorTightSettings())
        #expect(reference.outcome.converged)
        let (thetaRef, zrRef) = integratorGramTheta(problem, u0: u0, v0: v0, gram: reference.gram,
                                          transition: reference.transition)
        let vRef = zrRef.block(rows: samples..<(samples + 1), cols: 0..<h)
        let dRef = Self.distance(problem, u0: u0, v: vRef)
        // Sanity against the paper's figure (≈ 0.79 at h = 500, ±10% for a single draw at this seed).
        #expect(dRef > 0.5 && dRef < 1.1)

        let w = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        #expect(w.outcome.converged)
        #expect(abs(Self.distance(problem, u0: u0, v: w.v) - dRef) <= 1e-7 * dRef)
        #expect(integratorRelativeDifference(w.u.times(w.v, transposeOther: true), thetaRef) <= 1e-7)

        let g = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: IntegrationSettings())
        #expect(g.outcome.converged)
        let (thetaG, _) = integratorGramTheta(problem, u0: u0, v0: v0, gram: g.gram, transition: g.transition)
        #expect(integratorRelativeDifference(thetaG, thetaRef) <= 1e-7)
    }

    /// The Gram engine over the range of start scales the sampled engine produces (K_r(0) ≈ c·I with
    /// c = h^{1−2α} from tiny to thousands), with each embedded pair at the default tolerances: it converges
    /// and meets the contract in K₁₂ and in the transition rows that give V(∞).
    @Test(arguments: [1e-4, 1.0, 4000.0], [IntegrationScheme.dopri5, .dop853])
    func gramEngineAcrossStartScales(_ c: Double, _ scheme: IntegrationScheme) throws {
        var rng = IntegratorTestRNG(seed: 53)
        let problem = try integratorRandomProblem(samples: 10, inputs: 30, outputs: 2, rng: &rng)
        let dim = problem.rank + 2
        let z = rng.matrix(dim, 60, scale: (c / 60).squareRoot())
        let k0 = z.times(z, transposeOther: true).symmetrized
        var settings = IntegrationSettings()
        settings.scheme = scheme
        let run = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: settings)
        let reference = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: integratorTightSettings())
        #expect(run.outcome.converged && reference.outcome.converged)
        let r = problem.rank
        #expect(integratorRelativeDifference(run.gram.block(rows: 0..<r, cols: r..<dim),
                                   reference.gram.block(rows: 0..<r, cols: r..<dim)) <= 1e-7)
        #expect(integratorRelativeDifference(run.transition.block(rows: r..<dim, cols: 0..<dim),
                                   reference.transition.block(rows: r..<dim, cols: 0..<dim)) <= 1e-7)
    }
}

import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import Foundation
import Testing

/// The Dormand–Prince 8(5,3) pair (`"scheme": "dop853"`, the fast path of the `sampled` engine): the closed
/// form of theory.md §6 as an oracle for the tableau, and the accuracy contract (1e-7 relative to a tight
/// reference) on the paper's wide-network problem, for the integrator and for every distance a trial reports.
@Suite struct IntegratorSchemeTests {
    static func settings(_ scheme: IntegrationScheme) -> IntegrationSettings {
        var s = IntegrationSettings()
        s.scheme = scheme
        return s
    }

    /// Isotropic start on whitened data (the closed form `p(a, t)` of theory.md §6): both engines with dop853
    /// land on it to about the tolerance, at several times. A wrong coefficient of the pair would show here.
    @Test func dop853MatchesTheIsotropicClosedForm() throws {
        var rng = IntegratorTestRNG(seed: 12)
        let problem = try integratorWhitenedProblem(samples: 3, inputs: 6, outputs: 2, rng: &rng)
        let r = problem.rank, m = problem.outputDimension, dim = r + m
        let c = 0.7
        let h = dim + 2
        let zr0 = Matrix(rows: dim, cols: h) { i, j in i == j ? c.squareRoot() : 0 }
        let u0 = problem.phi1 * zr0.block(rows: 0..<r, cols: 0..<h)
        let v0 = zr0.block(rows: r..<dim, cols: 0..<h)
        var sY = Matrix(rows: dim, cols: dim)
        sY.setBlock(problem.yTilde, row: 0, col: r)
        sY.setBlock(problem.yTilde.transposed, row: r, col: 0)
        for t in [0.3, 1.0, 3.0] {
            let expectedK = try sY.symmetricFunction { IntegratorClosedFormTests.isotropicP($0, c, t) }
            var fixed = integratorFixedTimeSettings(t)
            fixed.scheme = .dop853
            let gram = try GramEngine.integrate(problem: problem, reducedGram: Matrix.identity(dim) * c, settings: fixed)
            #expect(gram.outcome.finalTime == t)
            #expect(integratorRelativeDifference(gram.gram, expectedK) <= 1e-10)
            let weights = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: fixed)
            let zr = integratorReducedState(problem, u: weights.u, v: weights.v)
            #expect(integratorRelativeDifference(zr.times(zr, transposeOther: true), expectedK) <= 1e-10)
        }
    }

    /// The paper's wide problem with the bench's data recipe (seed 530) and the sampled engine's starts (study
    /// seed 53, α = ½) at h = 500, 2000, 10 000: a dop853 trial converges and its distances ‖U2(0)V(∞)ᵀ‖ (both
    /// norms), final loss and imbalance drift agree with a tight reference trial (Dormand–Prince 5(4) at relative
    /// tolerance 1e-13) to 1e-7, with fewer right-hand-side evaluations than the default pair.
    @Test(arguments: [(500, 0), (2000, 1), (10_000, 2)])
    func dop853TrialsMeetTheContractOnThePaperProblem(width: Int, index: Int) throws {
        let recipe = DataRecipe.gaussian(samples: 100, inputDimension: 400, outputDimension: 1, noise: 0.01)
        let problem = try recipe.problem(seed: 530)
        func runner(_ settings: IntegrationSettings) throws -> TrialRunner {
            try TrialRunner(problem: problem, initialization: .widthScaled(alpha: 0.5), engine: .sampled,
                            settings: settings, studySeed: 53, alpha: 0.5, deltas: [0.01, 0.05])
        }
        let id = TrialID(width: width, index: index)
        let fast = try runner(Self.settings(.dop853)).run(id)
        let standard = try runner(Self.settings(.dopri5)).run(id)
        let reference = try runner(integratorTightSettings()).run(id)
        #expect(fast.converged && standard.converged && reference.converged)
        #expect(fast.distanceFrobenius > 0.1 && fast.distanceFrobenius < 1.1)
        #expect(abs(fast.distanceFrobenius - reference.distanceFrobenius) <= 1e-7 * reference.distanceFrobenius)
        #expect(abs(fast.distanceOperator - reference.distanceOperator) <= 1e-7 * reference.distanceOperator)
        // Converged means excess loss ≤ 1e-12 on both sides.
        #expect(abs(fast.finalLoss - reference.finalLoss) <= 1e-12)
        #expect(fast.imbalanceDrift < 1e-9)
        // Quantities of the start do not depend on the integrator at all.
        #expect(fast.effectiveImbalance == standard.effectiveImbalance)
        #expect(fast.lemma34Quantity == standard.lemma34Quantity)
        #expect(fast.rateConstant == standard.rateConstant)
        #expect(fast.rhsEvaluations < standard.rhsEvaluations)
        #expect(fast.steps < standard.steps)
    }
}

import GFMCEngine
import GFMCLinearAlgebra
import Testing

/// Gradient descent in Gram form (K ← (I+ηS)K(I+ηS)ᵀ, Φ ← (I+ηS)Φ) is the exact image of weights-form
/// gradient descent, so the two agree to rounding.
@Suite struct IntegratorGradientDescentTests {
    @Test func gramDescentEqualsWeightsDescent() throws {
        var rng = IntegratorTestRNG(seed: 31)
        let problem = try integratorRandomProblem(samples: 8, inputs: 10, outputs: 2, rank: 5, rng: &rng)
        let h = 15
        let u0 = rng.matrix(10, h, scale: 0.4), v0 = rng.matrix(2, h, scale: 0.4)
        let zr0 = integratorReducedState(problem, u: u0, v: v0)
        let k0 = zr0.times(zr0, transposeOther: true).symmetrized
        let settings = IntegrationSettings(method: .gd, excessLossTolerance: 0, maxSteps: 60, gdStepSize: 0.01)
        let w = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: settings)
        let g = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: settings)
        #expect(w.outcome.stopReason == "max_steps" && g.outcome.stopReason == "max_steps")
        #expect(w.outcome.steps == 60 && g.outcome.steps == 60)
        #expect(abs(w.outcome.finalTime - 60 * 0.01) <= 1e-15)
        // The loss went down substantially: the comparison is not between two frozen states.
        #expect(w.outcome.finalExcessLoss < 0.5 * w.outcome.initialExcessLoss)
        let zrW = integratorReducedState(problem, u: w.u, v: w.v)
        #expect(integratorRelativeDifference(zrW.times(zrW, transposeOther: true), g.gram) <= 1e-12)
        let (thetaG, zrG) = integratorGramTheta(problem, u0: u0, v0: v0, gram: g.gram, transition: g.transition)
        #expect(integratorRelativeDifference(zrW, zrG) <= 1e-12)
        #expect(integratorRelativeDifference(w.u.times(w.v, transposeOther: true), thetaG) <= 1e-12)
        for (a, b) in zip(w.outcome.trace, g.outcome.trace) {
            #expect(a.time == b.time)
            #expect(abs(a.excessLoss - b.excessLoss) <= 1e-12 * w.outcome.initialExcessLoss)
        }
    }

    /// One step by hand: U ← U + η XᵀR V, V ← V + η RᵀX U (simultaneous).
    @Test func weightsDescentIsThePaperUpdate() throws {
        var rng = IntegratorTestRNG(seed: 32)
        let problem = try integratorRandomProblem(samples: 4, inputs: 6, outputs: 2, rng: &rng)
        let u0 = rng.matrix(6, 5, scale: 0.5), v0 = rng.matrix(2, 5, scale: 0.5)
        var u = u0, v = v0
        let eta = 0.03
        for _ in 0..<3 {
            let residual = problem.y - problem.x * u.times(v, transposeOther: true)
            let g = problem.x.times(residual, transposeSelf: true)
            let newU = u + eta * (g * v)
            let newV = v + eta * g.times(u, transposeSelf: true)
            u = newU; v = newV
        }
        let run = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                              settings: IntegrationSettings(method: .gd, maxSteps: 3, gdStepSize: eta))
        #expect(run.outcome.steps == 3)
        #expect(integratorRelativeDifference(run.u, u) <= 1e-14)
        #expect(integratorRelativeDifference(run.v, v) <= 1e-14)
    }

    /// With a small step, gradient descent converges under the same stopping rule as the flow, and to
    /// nearly the same point (the difference is O(η)).
    @Test func descentConvergesNearTheFlowLimit() throws {
        var rng = IntegratorTestRNG(seed: 33)
        let problem = try integratorRandomProblem(samples: 4, inputs: 7, outputs: 1, rng: &rng)
        let u0 = rng.matrix(7, 6, scale: 0.5), v0 = rng.matrix(1, 6, scale: 0.5)
        let gd = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                             settings: IntegrationSettings(method: .gd, maxSteps: 200_000,
                                                                           gdStepSize: 0.01))
        let flow = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        #expect(gd.outcome.converged && flow.outcome.converged)
        #expect(gd.outcome.finalExcessLoss <= 1e-12)
        let diff = integratorRelativeDifference(gd.u.times(gd.v, transposeOther: true), flow.u.times(flow.v, transposeOther: true))
        #expect(diff <= 0.05)
        #expect(abs(gd.outcome.finalTime - 0.01 * Double(gd.outcome.steps)) <= 1e-9)
    }
}

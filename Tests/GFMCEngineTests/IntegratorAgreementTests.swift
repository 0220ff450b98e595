import GFMCEngine
import GFMCLinearAlgebra
import Testing

/// The weights engine and the Gram engine are two independent discretizations of the same flow
/// (theory.md §5); on identical starts they must agree.
@Suite struct IntegratorAgreementTests {
    struct Shape: CustomStringConvertible, Sendable {
        var samples: Int, inputs: Int, outputs: Int, width: Int, rank: Int?
        var description: String { "N=\(samples) n=\(inputs) m=\(outputs) h=\(width) rank=\(rank.map(String.init) ?? "full")" }
    }

    static let shapes: [Shape] = [
        Shape(samples: 5, inputs: 8, outputs: 1, width: 12, rank: nil),
        Shape(samples: 6, inputs: 10, outputs: 2, width: 4, rank: nil),      // h < r + m
        Shape(samples: 8, inputs: 10, outputs: 2, width: 9, rank: 3),        // rank-deficient, N > r, L* > 0
        Shape(samples: 12, inputs: 9, outputs: 3, width: 20, rank: 4),       // rank-deficient, m = 3
    ]

    @Test(arguments: shapes)
    func weightsAndGramAgree(_ shape: Shape) throws {
        var rng = IntegratorTestRNG(seed: UInt64(100 + shape.samples * 7 + shape.width))
        let problem = try integratorRandomProblem(samples: shape.samples, inputs: shape.inputs, outputs: shape.outputs,
                                        rank: shape.rank, rng: &rng)
        if let k = shape.rank { #expect(problem.rank == k) }
        if shape.rank != nil { #expect(problem.optimalLoss > 1e-3) }
        let scale = 0.8 / Double(shape.width).squareRoot()
        let u0 = rng.matrix(shape.inputs, shape.width, scale: scale)
        let v0 = rng.matrix(shape.outputs, shape.width, scale: scale)
        let zr0 = integratorReducedState(problem, u: u0, v: v0)
        let k0 = zr0.times(zr0, transposeOther: true).symmetrized

        // At a fixed time, and at convergence.
        for settings in [integratorFixedTimeSettings(1.5), integratorTightSettings()] {
            let w = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: settings)
            let g = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: settings)
            #expect(w.outcome.stopReason == g.outcome.stopReason)
            let thetaW = w.u.times(w.v, transposeOther: true)
            let (thetaG, zrG) = integratorGramTheta(problem, u0: u0, v0: v0, gram: g.gram, transition: g.transition)
            #expect(integratorRelativeDifference(thetaW, thetaG) <= 1e-8, "\(shape): Θ")
            #expect(integratorRelativeDifference(integratorReducedState(problem, u: w.u, v: w.v), zrG) <= 1e-8, "\(shape): Z_r")
            let zrW = integratorReducedState(problem, u: w.u, v: w.v)
            #expect(integratorRelativeDifference(zrW.times(zrW, transposeOther: true), g.gram) <= 1e-8, "\(shape): K_r")
            if settings.maxTime > 100 {
                #expect(w.outcome.converged && g.outcome.converged)
                #expect(w.outcome.finalExcessLoss <= 1e-22 && g.outcome.finalExcessLoss <= 1e-22)
                // Converged: the loss is optimal and U2 never moved (theory.md §2).
                #expect(abs(problem.loss(theta: thetaW) - problem.optimalLoss) <= 1e-10 * max(1, problem.optimalLoss))
                let u2Start = problem.phi2.times(u0, transposeSelf: true)
                let u2End = problem.phi2.times(w.u, transposeSelf: true)
                #expect(integratorRelativeDifference(u2End, u2Start) <= 1e-13)
            }
        }
    }
}

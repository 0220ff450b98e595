import GFMCEngine
import GFMCLinearAlgebra
import Testing
import Foundation

/// Caps, flags, traces and bad input.
@Suite struct IntegratorStoppingTests {
    static func smallProblem() throws -> (Problem, Matrix, Matrix) {
        var rng = IntegratorTestRNG(seed: 41)
        let problem = try integratorRandomProblem(samples: 5, inputs: 8, outputs: 2, rng: &rng)
        return (problem, rng.matrix(8, 6, scale: 0.4), rng.matrix(2, 6, scale: 0.4))
    }

    @Test(arguments: [FlowMethod.flow, .gd])
    func tinyMaxStepsIsReportedNotConverged(_ method: FlowMethod) throws {
        let (problem, u0, v0) = try Self.smallProblem()
        let settings = IntegrationSettings(method: method, maxSteps: 3, gdStepSize: 0.01)
        let w = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: settings)
        #expect(!w.outcome.converged)
        #expect(w.outcome.stopReason == "max_steps")
        #expect(w.outcome.steps <= 3)
        let zr = integratorReducedState(problem, u: u0, v: v0)
        let g = try GramEngine.integrate(problem: problem, reducedGram: zr.times(zr, transposeOther: true),
                                         settings: settings)
        #expect(!g.outcome.converged)
        #expect(g.outcome.stopReason == "max_steps")
    }

    @Test func maxTimeLandsExactly() throws {
        let (problem, u0, v0) = try Self.smallProblem()
        let flow = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                               settings: IntegrationSettings(maxTime: 0.37))
        #expect(flow.outcome.stopReason == "max_time" && !flow.outcome.converged)
        #expect(flow.outcome.finalTime == 0.37)
        #expect(flow.outcome.trace.last?.time == 0.37)
        let gd = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                             settings: IntegrationSettings(method: .gd, maxTime: 0.375, gdStepSize: 0.01))
        #expect(gd.outcome.stopReason == "max_time")
        #expect(gd.outcome.steps == 37)
    }

    @Test func traceStartsAtZeroAndFollowsAcceptedSteps() throws {
        let (problem, u0, v0) = try Self.smallProblem()
        let run = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        let trace = run.outcome.trace
        #expect(run.outcome.converged && run.outcome.stopReason == "converged")
        #expect(trace.first?.time == 0)
        #expect(trace.count == run.outcome.steps + 1)
        #expect(zip(trace, trace.dropFirst()).allSatisfy { $0.time < $1.time })
        #expect(trace.first?.excessLoss == run.outcome.initialExcessLoss)
        #expect(trace.last?.excessLoss == run.outcome.finalExcessLoss)
        #expect(run.outcome.finalExcessLoss <= IntegrationSettings().excessLossTolerance)
        #expect(run.outcome.finalRemainingMotion <= IntegrationSettings().thetaChangeTolerance)
        // Excess loss computed independently from Θ: L(Θ) − L*.
        let theta0 = u0.times(v0, transposeOther: true)
        #expect(abs(run.outcome.initialExcessLoss - (problem.loss(theta: theta0) - problem.optimalLoss)) <= 1e-12)
        // DP5 with FSAL: 6 evaluations per attempted step plus the one at the start.
        #expect(run.outcome.rhsEvaluations == 1 + 6 * (run.outcome.steps + run.outcome.rejectedSteps))
    }

    @Test func alreadyOptimalStartConvergesAtOnce() throws {
        // The invariant-set start exactly at Θ̂ with U2 = 0 and balanced, exact factors is a fixed point.
        var rng = IntegratorTestRNG(seed: 42)
        let problem = try integratorRandomProblem(samples: 3, inputs: 5, outputs: 1, rng: &rng)
        let svd = try problem.thetaHat.svd()
        let s = svd.singularValues[0].squareRoot()
        let u0 = svd.u * s, v0 = svd.v * s
        let run = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: IntegrationSettings())
        #expect(run.outcome.converged)
        #expect(run.outcome.steps <= 2)
    }

    @Test func divergentDescentStopsAsNonFinite() throws {
        let (problem, u0, v0) = try Self.smallProblem()
        let settings = IntegrationSettings(method: .gd, maxSteps: 10_000, gdStepSize: 50)
        let w = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: settings)
        #expect(w.outcome.stopReason == "non_finite" && !w.outcome.converged)
        #expect(w.outcome.finalExcessLoss.isFinite)
        let zr = integratorReducedState(problem, u: u0, v: v0)
        let g = try GramEngine.integrate(problem: problem, reducedGram: zr.times(zr, transposeOther: true),
                                         settings: settings)
        #expect(g.outcome.stopReason == "non_finite")
    }

    @Test func badInputNamesTheField() throws {
        let (problem, u0, v0) = try Self.smallProblem()
        #expect(throws: ProblemError.shapeMismatch(field: "V0", expected: "2×6", got: "2×5")) {
            try WeightsEngine.integrate(problem: problem, u0: u0, v0: Matrix(rows: 2, cols: 5),
                                        settings: IntegrationSettings())
        }
        #expect(throws: ProblemError.shapeMismatch(field: "U0", expected: "8×h", got: "7×6")) {
            try WeightsEngine.integrate(problem: problem, u0: Matrix(rows: 7, cols: 6), v0: v0,
                                        settings: IntegrationSettings())
        }
        var nanU = u0
        nanU[1, 2] = .nan
        #expect(throws: ProblemError.nonFinite(field: "U0", row: 1, column: 2)) {
            try WeightsEngine.integrate(problem: problem, u0: nanU, v0: v0, settings: IntegrationSettings())
        }
        #expect(throws: ProblemError.self) {
            try GramEngine.integrate(problem: problem, reducedGram: Matrix.identity(3), settings: IntegrationSettings())
        }
        var asymmetric = Matrix.identity(problem.rank + 2)
        asymmetric[0, 1] = 0.5
        #expect(throws: ProblemError.self) {
            try GramEngine.integrate(problem: problem, reducedGram: asymmetric, settings: IntegrationSettings())
        }
        #expect(throws: ProblemError.invalid(field: "settings.relativeTolerance", reason: "must be in (0, 1), got 0.0")) {
            try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                        settings: IntegrationSettings(relativeTolerance: 0))
        }
        #expect(throws: ProblemError.self) {
            try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0,
                                        settings: IntegrationSettings(method: .gd, gdStepSize: -1))
        }
    }

    @Test func settingsDecodeWithDefaults() throws {
        let json = #"{"method": "gd", "gdStepSize": 0.002}"#
        let decoded = try JSONDecoder().decode(IntegrationSettings.self, from: Data(json.utf8))
        var expected = IntegrationSettings()
        expected.method = .gd
        expected.gdStepSize = 0.002
        #expect(decoded == expected)
        let roundTrip = try JSONDecoder().decode(IntegrationSettings.self, from: JSONEncoder().encode(expected))
        #expect(roundTrip == expected)
    }
}

import Foundation
import Testing
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import GFMCStatistics

/// A result with the measured wall time removed (everything else must be reproducible).
func reproducible(_ r: TrialResult) -> TrialResult {
    var c = r
    c.wallSeconds = 0
    return c
}

/// Bitwise comparison that treats NaN == NaN (TrialResult's synthesized == does not).
func sameBits(_ a: TrialResult, _ b: TrialResult) throws -> Bool {
    let encoder = GFMCJSON.encoder()
    return try encoder.encode(reproducible(a)) == encoder.encode(reproducible(b))
}

@Suite("Trial runner: input validation")
struct TrialRunnerValidationTests {
    static let problem = try! DataRecipe.gaussian(samples: 3, inputDimension: 6, outputDimension: 1, noise: 0.1).problem(seed: 1)

    @Test func invalidInputThrowsNamingTheField() throws {
        let settings = IntegrationSettings()
        let runner = try TrialRunner(problem: Self.problem, initialization: .widthScaled(alpha: 0.5), engine: .sampled,
                                     settings: settings, studySeed: 1, deltas: [0.05])
        #expect(throws: TrialError.invalid(field: "width", reason: "must be at least 1, got 0")) {
            try runner.run(TrialID(width: 0, index: 0))
        }
        #expect(throws: TrialError.invalid(field: "index", reason: "must be ≥ 0, got -1")) {
            try runner.run(TrialID(width: 4, index: -1))
        }
        #expect(throws: TrialError.invalid(field: "alpha", reason: "must lie in (1/4, 1/2] for the Lemma 11 / Theorem 12 bounds, got 0.6")) {
            try TrialRunner(problem: Self.problem, initialization: .widthScaled(alpha: 0.6), engine: .sampled,
                            settings: settings, studySeed: 1, deltas: [0.05])
        }
        #expect(throws: TrialError.invalid(field: "alpha", reason: "must lie in (1/4, 1/2] for the Lemma 11 / Theorem 12 bounds, got 0.2")) {
            try TrialRunner(problem: Self.problem, initialization: .gaussian(sigmaU: 0.1, sigmaV: 0.1), engine: .weights,
                            settings: settings, studySeed: 1, alpha: 0.2, deltas: [0.05])
        }
        #expect(throws: TrialError.invalid(field: "deltas", reason: "δ[1] = 1.5 must lie in (0, 1)")) {
            try TrialRunner(problem: Self.problem, initialization: .widthScaled(alpha: 0.5), engine: .sampled,
                            settings: settings, studySeed: 1, deltas: [0.1, 1.5])
        }
        #expect(throws: TrialError.self) {
            try TrialRunner(problem: Self.problem, initialization: .balanced(.widthScaled(alpha: 0.5)), engine: .sampled,
                            settings: settings, studySeed: 1)
        }
        var bad = settings
        bad.relativeTolerance = 0
        #expect(throws: ProblemError.self) {
            try TrialRunner(problem: Self.problem, initialization: .widthScaled(alpha: 0.5), engine: .gram,
                            settings: bad, studySeed: 1)
        }
        #expect(throws: TrialError.self) {
            try TrialRunner.runExplicit(problem: Self.problem, u0: Matrix(rows: 6, cols: 2), v0: Matrix(rows: 1, cols: 2),
                                        engine: .sampled, settings: settings)
        }
        #expect(throws: InitializationError.self) {
            try TrialRunner.runExplicit(problem: Self.problem, u0: Matrix(rows: 5, cols: 2), v0: Matrix(rows: 1, cols: 2),
                                        engine: .weights, settings: settings)
        }
    }

    @Test func engineResolution() throws {
        #expect(EngineKind.automatic(for: .widthScaled(alpha: 0.5)) == .sampled)
        #expect(EngineKind.automatic(for: .gaussian(sigmaU: 0.1, sigmaV: 0.2)) == .sampled)
        #expect(EngineKind.automatic(for: .invariantSet(.widthScaled(alpha: 0.5))) == .sampled)
        #expect(EngineKind.automatic(for: .balanced(.widthScaled(alpha: 0.5))) == .gram)
        #expect(try EngineKind.resolve("auto", for: .explicit(u0: Matrix(rows: 1, cols: 1), v0: Matrix(rows: 1, cols: 1))) == .gram)
        #expect(try EngineKind.resolve("weights", for: .widthScaled(alpha: 0.5)) == .weights)
        #expect(throws: TrialError.invalid(field: "engine", reason: "unknown engine \"fast\" (expected weights, gram, sampled or auto)")) {
            try EngineKind.resolve("fast", for: .widthScaled(alpha: 0.5))
        }
    }
}

@Suite("Trial runner: engines and oracles")
struct TrialRunnerTests {
    static let tight = IntegrationSettings(relativeTolerance: 1e-12, excessLossTolerance: 1e-18, thetaChangeTolerance: 1e-11)

    /// Scalar sanity case (theory.md §3): the asymptotic rate of L − L* is 2 sqrt(d² + 4y²).
    @Test(arguments: [EngineKind.weights, .gram])
    func scalarCaseRateAndTheorem3(engine: EngineKind) throws {
        let problem = try Problem(x: Matrix(rowArrays: [[1]]), y: Matrix(rowArrays: [[1.3]]))
        let (u, v, y) = (0.7, 0.2, 1.3)
        let out = try TrialRunner.runExplicit(problem: problem, u0: Matrix(rowArrays: [[u]]), v0: Matrix(rowArrays: [[v]]),
                                              engine: engine, settings: Self.tight)
        let r = out.result
        #expect(r.converged && r.stopReason == .converged)
        let d = u * u - v * v
        let asymptotic = 2 * (d * d + 4 * y * y).squareRoot()
        // The trace slope over the final decade carries the integrator's error in the far tail (a few %).
        #expect(abs(r.measuredRate - asymptotic) < 0.03 * asymptotic)
        let margin = max(y - abs(y - u * v), 0)
        #expect(abs(r.rateConstant - 2 * (d * d + 4 * margin * margin).squareRoot()) < 1e-12)
        #expect(r.theorem3Holds)
        #expect(r.imbalanceDrift < 1e-9)
        #expect(abs(out.theta[0, 0] - y) < 1e-8)
        // The exact instantaneous rate at the final state: 2(u² + v²) → 2 sqrt(d² + 4y²).
        let uv = out.theta[0, 0]
        let gram = Matrix(rowArrays: [[(d + (d * d + 4 * uv * uv).squareRoot()) / 2, uv],
                                      [uv, (-d + (d * d + 4 * uv * uv).squareRoot()) / 2]])
        #expect(abs(RateConstant.instantaneousRate(problem: problem, reducedGram: gram) - asymptotic) < 1e-6 * asymptotic)
        #expect(r.distanceFrobenius == 0 && r.initialNullSpaceCoupling == 0)   // n = r: no null space
        #expect(abs(r.initialLoss - 0.5 * (y - u * v) * (y - u * v)) < 1e-15)
        #expect(r.finalLoss < 1e-20 && r.optimalLoss < 1e-30)
        #expect(r.predictedDistance.isNaN && r.bounds.isEmpty)
    }

    /// Proposition 10: the invariant-set start ends at Θ̂ (to 1e-9), by every engine.
    @Test(arguments: [EngineKind.weights, .gram, .sampled])
    func invariantSetEndsAtMinNorm(engine: EngineKind) throws {
        let problem = try DataRecipe.gaussian(samples: 4, inputDimension: 10, outputDimension: 2, noise: 0.1).problem(seed: 8)
        let runner = try TrialRunner(problem: problem, initialization: .invariantSet(.fixed(sigmaU: 0.5, sigmaV: 0.5)),
                                     engine: engine, settings: Self.tight, studySeed: 3)
        for index in 0..<3 {
            let r = try runner.run(TrialID(width: 20, index: index))
            #expect(r.converged)
            #expect(r.distanceFrobenius < 1e-12 && r.distanceOperator < 1e-12)
            if engine != .sampled { #expect(r.distanceFrobeniusDirect < 1e-9 && r.distanceOperatorDirect < 1e-9) }
            #expect(r.predictedDistance == 0)
        }
    }

    /// weights and gram from the same explicit start: same Θ(∞), distances and identity vs direct.
    @Test func weightsAndGramAgreeOnExplicitStart() throws {
        let problem = try DataRecipe.gaussian(samples: 5, inputDimension: 9, outputDimension: 2, noise: 0.2).problem(seed: 4)
        let (u0, v0) = try InitialWeights.make(.gaussian(sigmaU: 0.4, sigmaV: 0.3), problem: problem, studySeed: 5,
                                               trial: TrialID(width: 7, index: 0))
        let w = try TrialRunner.runExplicit(problem: problem, u0: u0, v0: v0, engine: .weights, settings: Self.tight)
        let g = try TrialRunner.runExplicit(problem: problem, u0: u0, v0: v0, engine: .gram, settings: Self.tight)
        #expect(w.result.converged && g.result.converged)
        let scale = problem.thetaHat.frobeniusNorm
        #expect((w.theta - g.theta).frobeniusNorm < 1e-8 * scale)
        for r in [w.result, g.result] {
            #expect(abs(r.distanceFrobenius - r.distanceFrobeniusDirect) < 1e-9 * scale)
            #expect(abs(r.distanceOperator - r.distanceOperatorDirect) < 1e-9 * scale)
            #expect(r.imbalanceDrift < 1e-9)
            #expect(r.theorem3Holds)
        }
        #expect(abs(w.result.distanceFrobenius - g.result.distanceFrobenius) < 1e-8 * w.result.distanceFrobenius)
        #expect(w.result.effectiveImbalance == g.result.effectiveImbalance)
    }

    @Test func gradientDescentAndCapsAreReported() throws {
        let problem = try DataRecipe.gaussian(samples: 3, inputDimension: 6, outputDimension: 1, noise: 0.1).problem(seed: 2)
        let (u0, v0) = try InitialWeights.make(.gaussian(sigmaU: 0.5, sigmaV: 0.5), problem: problem, studySeed: 5,
                                               trial: TrialID(width: 6, index: 0))
        var gd = IntegrationSettings(method: .gd, excessLossTolerance: 1e-14, thetaChangeTolerance: 1e300)
        gd.gdStepSize = 0.05
        let out = try TrialRunner.runExplicit(problem: problem, u0: u0, v0: v0, engine: .weights, settings: gd)
        #expect(out.result.method == "gd" && out.result.converged)
        #expect(out.result.finalLoss - out.result.optimalLoss <= 1e-14)
        var capped = IntegrationSettings()
        capped.maxSteps = 2
        let c = try TrialRunner.runExplicit(problem: problem, u0: u0, v0: v0, engine: .gram, settings: capped)
        #expect(!c.result.converged && c.result.stopReason == .maxSteps)
        #expect(c.result.distanceFrobenius.isFinite)
    }

    /// Overflowing starts end in a reported failure, never a crash; overflowing scales for `sampled` are
    /// rejected as input.
    @Test(arguments: [EngineKind.weights, .gram])
    func numericalFailureIsReportedNotThrown(engine: EngineKind) throws {
        let problem = try DataRecipe.gaussian(samples: 3, inputDimension: 6, outputDimension: 1, noise: 0.01).problem(seed: 1)
        for scale in [1e200, 1e150] {
            let out = try TrialRunner.runExplicit(problem: problem, u0: Matrix(rows: 6, cols: 3, repeating: scale),
                                                  v0: Matrix(rows: 1, cols: 3, repeating: scale), engine: engine,
                                                  settings: IntegrationSettings())
            #expect(!out.result.converged)
            #expect([.numericalError, .nonFinite].contains(out.result.stopReason))
        }
        let runner = try TrialRunner(problem: problem, initialization: .gaussian(sigmaU: 1e200, sigmaV: 1),
                                     engine: .sampled, settings: IntegrationSettings(), studySeed: 1)
        #expect(throws: TrialError.self) { try runner.run(TrialID(width: 5, index: 0)) }
    }

    /// Distances by `sampled` and by `weights` have the same distribution (two-sample KS at a fixed seed),
    /// and the same test rejects a sampler with σ_U doubled.
    @Test func sampledMatchesWeightsInDistribution() throws {
        let problem = try DataRecipe.gaussian(samples: 3, inputDimension: 8, outputDimension: 1, noise: 0.1).problem(seed: 6)
        let settings = IntegrationSettings(excessLossTolerance: 1e-14)
        let h = 10, trials = 300, sigma = 1 / Double(h).squareRoot()
        let weights = try TrialRunner(problem: problem, initialization: .gaussian(sigmaU: sigma, sigmaV: sigma),
                                      engine: .weights, settings: settings, studySeed: 77)
        let sampled = try TrialRunner(problem: problem, initialization: .gaussian(sigmaU: sigma, sigmaV: sigma),
                                      engine: .sampled, settings: settings, studySeed: 78)
        let wrong = try TrialRunner(problem: problem, initialization: .gaussian(sigmaU: 2 * sigma, sigmaV: sigma),
                                    engine: .sampled, settings: settings, studySeed: 78)
        var a: [TrialResult] = [], b: [TrialResult] = [], c: [TrialResult] = []
        for k in 0..<trials {
            let id = TrialID(width: h, index: k)
            a.append(try weights.run(id)); b.append(try sampled.run(id)); c.append(try wrong.run(id))
        }
        #expect(a.allSatisfy(\.converged) && b.allSatisfy(\.converged))
        for key in [\TrialResult.distanceFrobenius, \.distanceOperator, \.effectiveImbalance, \.initialNullSpaceCoupling] {
            let p = KolmogorovSmirnov.twoSample(a.map { $0[keyPath: key] }, b.map { $0[keyPath: key] }).pValue
            #expect(p > 1e-3, "\(key): p = \(p)")
        }
        let pWrong = KolmogorovSmirnov.twoSample(a.map(\.distanceFrobenius), c.map(\.distanceFrobenius)).pValue
        #expect(pWrong < 1e-6, "doubled σ_U must be detected, p = \(pWrong)")
    }

    /// theory.md §6: the leading-order prediction within 10% of the measured mean at a wide width (whitened),
    /// and our generalization on non-whitened Gaussian X.
    @Test(arguments: [true, false])
    func leadingOrderPredictionAtWideWidth(whitened: Bool) throws {
        let recipe: DataRecipe = whitened
            ? .whitened(samples: 10, inputDimension: 40, outputDimension: 2, noise: 0.01)
            : .gaussian(samples: 10, inputDimension: 40, outputDimension: 2, noise: 0.01)
        let runner = try TrialRunner(recipe: recipe, dataSeed: 12, initialization: .widthScaled(alpha: 0.4),
                                     engine: .sampled, settings: IntegrationSettings(), studySeed: 13,
                                     deltas: [0.05])
        let h = 40_000
        var distances: [Double] = []
        var predicted = Double.nan
        for k in 0..<40 {
            let r = try runner.run(TrialID(width: h, index: k))
            #expect(r.converged)
            distances.append(r.distanceFrobenius)
            predicted = r.predictedDistance
            #expect(r.bounds.count == 1 && r.lemma34Quantity > 0)
        }
        let mean = distances.reduce(0, +) / Double(distances.count)
        #expect(abs(mean - predicted) < 0.1 * predicted, "mean \(mean), predicted \(predicted)")
    }

    /// Paper §5.2 (theory.md §7.2): the three imbalance cases with the same σ_U·σ_V. The figure legends'
    /// constants (6.02, 39.6, 20.1 in one version of the paper) are Δ̲(0); with a zero initial margin the
    /// theory's c(0) is 2Δ̲(0). Case 2 converges fastest, then case 3, then case 1, and the balanced start
    /// with the same end-to-end matrix is slowest.
    @Test func paperImbalanceRegimes() throws {
        let problem = try DataRecipe.whitened(samples: 100, inputDimension: 400, outputDimension: 1, noise: 0.01)
            .problem(seed: 1)
        let cases: [(Double, Double, Double)] = [(0.1, 0.1, 6.02), (0.5, 0.02, 39.6), (0.05, 0.2, 20.1)]
        var times: [Double] = []
        for (su, sv, legend) in cases {
            let runner = try TrialRunner(problem: problem, initialization: .gaussian(sigmaU: su, sigmaV: sv),
                                         engine: .sampled, settings: IntegrationSettings(), studySeed: 1)
            let r = try runner.run(TrialID(width: 500, index: 0))
            #expect(r.converged)
            #expect(abs(r.effectiveImbalance - legend) < 0.1 * legend, "σ = (\(su), \(sv)): Δ̲ = \(r.effectiveImbalance)")
            #expect(r.margin == 0 && abs(r.rateConstant - 2 * r.effectiveImbalance) < 1e-9 * r.rateConstant)
            #expect(r.theorem3Holds && r.measuredRate >= r.theorem3Rate)
            times.append(r.finalTime)
        }
        #expect(times[1] < times[2] && times[2] < times[0], "convergence times \(times)")
        var capped = IntegrationSettings()
        capped.maxTime = 3 * times[0]
        let balanced = try TrialRunner(problem: problem, initialization: .balanced(.fixed(sigmaU: 0.1, sigmaV: 0.1)),
                                       engine: .gram, settings: capped, studySeed: 1)
        let b = try balanced.run(TrialID(width: 500, index: 0))
        // Balanced in the full-U sense (UᵀU = VᵀV), so D = U1ᵀU1 − VᵀV = −U2ᵀU2: Δ̲ comes from the null-space part
        // alone and stays below case 1's.
        #expect(b.effectiveImbalance < 0.8 * 6.02)
        #expect(b.finalTime > times[0], "balanced start: \(b.stopReason) at t = \(b.finalTime), case 1 at \(times[0])")
        #expect(b.finalTime > 1.2 * times[0], "balanced start: \(b.stopReason) at t = \(b.finalTime), case 1 at \(times[0])")
    }

    /// Identical results on rerun and in any order (wall time excluded).
    @Test(arguments: [EngineKind.weights, .sampled])
    func deterministicAndOrderIndependent(engine: EngineKind) throws {
        let problem = try DataRecipe.gaussian(samples: 4, inputDimension: 7, outputDimension: 2, noise: 0.1).problem(seed: 9)
        let runner = try TrialRunner(problem: problem, initialization: .widthScaled(alpha: 0.5), engine: engine,
                                     settings: IntegrationSettings(), studySeed: 2024, deltas: [0.01, 0.1])
        let ids = [TrialID(width: 8, index: 0), TrialID(width: 8, index: 1), TrialID(width: 30, index: 0),
                   TrialID(width: 30, index: 5)]
        let forward = try ids.map { try runner.run($0) }
        let backward = try ids.reversed().map { try runner.run($0) }.reversed()
        let again = try ids.map { try runner.run($0) }
        for (a, (b, c)) in zip(forward, zip(backward, again)) {
            #expect(try sameBits(a, b) && sameBits(a, c))
        }
        #expect(forward[0].distanceFrobenius != forward[1].distanceFrobenius)
        #expect(forward.allSatisfy { $0.bounds.count == 2 && $0.bounds[0].delta == 0.01 })
    }

    /// The factorization recipe gets one problem per width (X = I/sqrt(m h)).
    @Test func factorizationRunsPerWidth() throws {
        let runner = try TrialRunner(recipe: .factorization(inputDimension: 6, outputDimension: 2), dataSeed: 1,
                                     initialization: .gaussian(sigmaU: 1, sigmaV: 1), engine: .sampled,
                                     settings: IntegrationSettings(), studySeed: 4)
        let a = try runner.run(TrialID(width: 10, index: 0)), b = try runner.run(TrialID(width: 100, index: 0))
        #expect(a.converged && b.converged)
        #expect(a.optimalLoss < 1e-25 && b.optimalLoss < 1e-25)
        #expect(a.distanceFrobenius == 0)   // X has full row rank n: no null space
        #expect(b.effectiveImbalance > a.effectiveImbalance)
    }
}

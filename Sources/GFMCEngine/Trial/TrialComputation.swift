import GFMCLinearAlgebra
import GFMCModel

/// The engine-independent body of one trial: initial quantities from the reduced state, integration by the
/// chosen engine, final quantities, bounds. Internal; `TrialRunner` is the public entry point.
struct TrialComputation {
    let problem: Problem
    let id: TrialID
    let engine: EngineKind
    let settings: IntegrationSettings
    let alpha: Double?
    let deltas: [Double]
    let prediction: Double

    /// Runs the trial. `weights` must be given for the weights engine (and gives `gram` its explicit Θ).
    /// Never throws: numerical failures end in `stopReason == "numerical_error"`.
    func run(start: ReducedInitialState, weights: (u0: Matrix, v0: Matrix)?) -> (result: TrialResult, theta: Matrix?) {
        var result = TrialResult(id: id, engine: engine.rawValue, method: settings.method.rawValue)
        result.optimalLoss = problem.optimalLoss
        result.predictedDistance = prediction
        let r = problem.rank, m = problem.outputDimension

        // Initial quantities (theory.md §3, §4), all from K_r(0) and C(0).
        let k0 = start.gram
        let e0 = RateConstant.reducedResidual(problem: problem, reducedGram: k0)
        let initialExcess = 0.5 * e0.frobeniusNormSquared
        result.initialLoss = problem.optimalLoss + initialExcess
        result.lemma34Quantity = start.nullSpaceCoupling.frobeniusNorm
        result.lemma35Quantity = start.endToEndReduced.frobeniusNorm
        result.initialNullSpaceCoupling = start.nullSpaceEndToEnd.frobeniusNorm

        let constants: ProblemConstants
        let spectrum0: ImbalanceSpectrum
        do {
            constants = try ProblemConstants(problem: problem)
            spectrum0 = try ImbalanceSpectrum(reducedGram: k0, rank: r)
        } catch {
            result.stopReason = .numericalError
            return (result, nil)
        }
        result.effectiveImbalance = spectrum0.effectiveImbalance
        result.deltaPlus = spectrum0.deltaPlus
        result.deltaMinus = spectrum0.deltaMinus
        let e0Norm = e0.frobeniusNorm
        result.margin = RateConstant.margin(constants: constants, residualNorm: e0Norm)
        result.rateConstant = RateConstant.value(spectrum: spectrum0, constants: constants, residualNorm: e0Norm)
        result.theorem3Rate = constants.lambdaMinSigmaX * result.rateConstant
        if let alpha {
            result.lemma33Holds = result.effectiveImbalance > PaperBounds.lemma33Threshold(width: id.width, alpha: alpha)
        }

        // Integration.
        let finalGram: Matrix
        let nullSpaceFinal: Matrix            // U2(0)V(∞)ᵀ, (n−r)×m
        var theta: Matrix?
        let outcome: IntegrationOutcome
        do {
            switch engine {
            case .weights:
                guard let (u0, v0) = weights else { preconditionFailure("the weights engine needs explicit weights") }
                let (u, v, out) = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: settings)
                outcome = out
                let zr = ReducedInitialState.reducedFactor(problem: problem, u0: u, v0: v)
                finalGram = zr.times(zr, transposeOther: true).symmetrized
                nullSpaceFinal = problem.phi2.times(u0, transposeSelf: true).times(v, transposeOther: true)
                theta = u.times(v, transposeOther: true)
            case .gram, .sampled:
                let (gram, transition, out) = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: settings)
                outcome = out
                finalGram = gram
                // U2(0)V(∞)ᵀ = C(0) Φᵀ restricted to the V columns = C(0) Φ_Vᵀ, Φ_V the last m rows of Φ.
                let phiV = transition.block(rows: r..<(r + m), cols: 0..<(r + m))
                nullSpaceFinal = start.nullSpaceCoupling.times(phiV, transposeOther: true)
                if engine == .gram {
                    let k12 = gram.block(rows: 0..<r, cols: r..<(r + m))
                    theta = problem.phi1 * k12 + problem.phi2 * nullSpaceFinal
                }
            }
        } catch {
            result.stopReason = .numericalError
            return (result, nil)
        }
        result.converged = outcome.converged
        result.stopReason = StopReason(rawValue: outcome.stopReason) ?? .numericalError
        result.steps = outcome.steps
        result.rhsEvaluations = outcome.rhsEvaluations
        result.finalTime = outcome.finalTime

        let eEnd = RateConstant.reducedResidual(problem: problem, reducedGram: finalGram)
        result.finalLoss = problem.optimalLoss + 0.5 * eEnd.frobeniusNormSquared
        result.distanceFrobenius = nullSpaceFinal.frobeniusNorm
        if let theta {
            result.distanceFrobeniusDirect = (theta - problem.thetaHat).frobeniusNorm
        }
        do {
            result.distanceOperator = try nullSpaceFinal.operatorNorm()
            if let theta { result.distanceOperatorDirect = try (theta - problem.thetaHat).operatorNorm() }
            let spectrumEnd = try ImbalanceSpectrum.rawEigenvalues(reducedGram: finalGram, rank: r)
            result.imbalanceDrift = ImbalanceSpectrum.relativeDrift(from: spectrum0, toEigenvalues: spectrumEnd)
        } catch {
            result.converged = false
            result.stopReason = .numericalError
        }

        // Loss trace: Theorem 3 and the measured asymptotic rate.
        let times = outcome.trace.map(\.time), losses = outcome.trace.map(\.excessLoss)
        let floorScale = 16 * Double(r + m) * Double.ulpOfOne * constants.yTildeSingularValues.reduce(0) { $0 + $1 * $1 }.squareRoot()
        result.theorem3Holds = LossTraceAnalysis.theorem3Holds(times: times, excessLosses: losses,
                                                               initialExcessLoss: initialExcess,
                                                               rate: result.theorem3Rate,
                                                               absoluteFloor: 0.5 * floorScale * floorScale,
                                                               cutoff: settings.excessLossTolerance)
        result.measuredRate = LossTraceAnalysis.measuredRate(times: times, excessLosses: losses,
                                                             cutoff: settings.excessLossTolerance)

        // Lemma 11 / Theorem 12 for each δ.
        if let alpha {
            result.bounds = deltas.map { boundCheck(delta: $0, alpha: alpha, constants: constants, result: result) }
        }
        return (result, theta)
    }

    func boundCheck(delta: Double, alpha: Double, constants c: ProblemConstants, result: TrialResult) -> BoundCheck {
        let m = c.outputDimension, r = c.rank, n = c.inputDimension, h = id.width
        let l34 = PaperBounds.lemma34Bound(m: m, r: r, n: n, width: h, alpha: alpha, delta: delta)
        let l35 = PaperBounds.lemma35Bound(m: m, n: n, width: h, alpha: alpha, delta: delta)
        func t12(_ tail: PaperBounds.Tail) -> Double {
            PaperBounds.theorem12Bound(m: m, r: r, n: n, width: h, alpha: alpha, delta: delta,
                                       lambdaMax: c.lambdaMaxSigmaX, lambdaMin: c.lambdaMinSigmaX,
                                       yFrobenius: c.yFrobenius, tail: tail)
        }
        let stated = t12(.asStated), corrected = t12(.corrected)
        let h0 = PaperBounds.h0(m: m, n: n, delta: delta, lambdaMax: c.lambdaMaxSigmaX, lambdaMin: c.lambdaMinSigmaX)
        let threshold = PaperBounds.widthThreshold(h0: h0, alpha: alpha)
        return BoundCheck(delta: delta,
                          lemma34Bound: l34, lemma34Holds: result.lemma34Quantity <= l34,
                          lemma35Bound: l35, lemma35Holds: result.lemma35Quantity <= l35,
                          theorem12Bound: stated, theorem12Holds: result.distanceOperator <= stated,
                          theorem12BoundCorrected: corrected, theorem12CorrectedHolds: result.distanceOperator <= corrected,
                          theorem12WidthThreshold: threshold, widthExceedsThreshold: Double(h) > threshold)
    }
}

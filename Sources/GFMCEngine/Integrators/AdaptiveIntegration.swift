import Foundation

/// What a flow provides to the shared adaptive driver: its own stages in its own variables (factored or not).
/// Stage s of the pair is evaluated from the current point with `pair.stageRows[s]`; stage 0 holds the
/// derivative at the current point before `AdaptiveIntegration.run` is called.
protocol AdaptiveFlowStages: AnyObject {
    /// Evaluates stage s (1 ≤ s ≤ pair.newPointStage) of a step of size `hs` from the current point.
    func evaluateStage(_ s: Int, stepSize hs: Double)
    /// The scaled local-error norm of the attempted step (≤ 1 accepts; documented on `IntegrationSettings`),
    /// NaN when the estimate or the attempted state is not finite. Called after the stages the error uses.
    func stepError(stepSize hs: Double) -> Double
    /// Diagnostics at the new point (the stage `pair.newPointStage` has been evaluated).
    func newPointDiagnostics() -> FlowDiagnostics
    /// Moves the state to the new point and makes its derivative stage 0; may complete `diagnostics` (the
    /// weights flow sets its representation scale). Returns false when the new state is not finite.
    func acceptStep(stepSize hs: Double, diagnostics: inout FlowDiagnostics) -> Bool
}

/// The PI step-size controller (Hairer's). `err` is the scaled error norm of the attempted step
/// (≤ 1 accepts); every method returns the next step size.
struct StepController {
    /// 1/q for an error estimate that behaves like h^q (the pair's `errorExponent`).
    let exponent: Double
    /// The weight of the previous step's error (0: a pure I controller).
    let beta: Double
    private var errOld = 1e-4
    private var lastRejected = false
    private var nonFiniteInARow = 0

    init(exponent: Double, beta: Double) {
        self.exponent = exponent
        self.beta = beta
    }

    /// A step whose error or new state was not finite: retry 10× shorter. Returns nil once
    /// `maxConsecutiveNonFinite` such steps came in a row (the integration stops as "non_finite").
    mutating func rejectNonFinite(stepSize hs: Double) -> Double? {
        nonFiniteInARow += 1
        if nonFiniteInARow >= EmbeddedPair.maxConsecutiveNonFinite { return nil }
        lastRejected = true
        return hs * 0.1
    }

    /// The error was finite (whether or not the step is then accepted).
    mutating func errorWasFinite() { nonFiniteInARow = 0 }

    mutating func accept(error err: Double, stepSize hs: Double) -> Double {
        var factor = EmbeddedPair.safety * Foundation.pow(max(err, 1e-300), -(exponent - 0.75 * beta))
            * Foundation.pow(errOld, beta)
        factor = min(lastRejected ? 1 : EmbeddedPair.maxGrowth, max(EmbeddedPair.maxShrink, factor))
        errOld = max(err, 1e-4)
        lastRejected = false
        return hs * factor
    }

    mutating func reject(error err: Double, stepSize hs: Double) -> Double {
        lastRejected = true
        return hs * max(EmbeddedPair.maxShrink, EmbeddedPair.safety * Foundation.pow(err, -exponent))
    }
}

/// The adaptive-integration driver shared by the weights and Gram flows: step attempts, acceptance, the PI
/// controller, non-finite handling, the stopping rule, the caps and the trace, in one place (the contract is on
/// `IntegrationSettings`). Each flow supplies its stages, its error norm and its state update.
enum AdaptiveIntegration {
    /// Runs from the current point, whose derivative (stage 0, one evaluation, counted here) is in place.
    /// `start` are its diagnostics, `startIsFinite` whether the starting state is finite, `initialStep` the
    /// first step to try (capped by `maxTime` here).
    static func run(_ stages: some AdaptiveFlowStages, pair: EmbeddedPair, settings: IntegrationSettings,
                    problem: Problem, start d0: FlowDiagnostics, startIsFinite: Bool,
                    initialStep: Double) -> IntegrationOutcome {
        var rule = StoppingRule(settings: settings, problem: problem)
        var rhs = 1, accepted = 0, rejected = 0
        var t = 0.0
        var last = d0
        var trace = [TracePoint(time: 0, excessLoss: d0.excessLoss)]
        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: accepted,
                               rhsEvaluations: rhs, rejectedSteps: rejected, finalTime: t,
                               initialExcessLoss: d0.excessLoss, finalExcessLoss: last.excessLoss,
                               finalMotion: last.motion, finalRateEstimate: rule.rateEstimate,
                               finalRemainingMotion: rule.remainingMotion, trace: trace)
        }
        guard d0.isFinite, startIsFinite else { return outcome("non_finite") }
        if rule.isConverged(time: 0, d0) { return outcome("converged") }

        var step = min(initialStep, settings.maxTime)
        var controller = StepController(exponent: pair.errorExponent, beta: pair.controllerBeta)
        let errorStageCount = pair.evaluationsPerAttempt
        while true {
            if accepted + rejected >= settings.maxSteps { return outcome("max_steps") }
            let remaining = settings.maxTime - t
            if remaining <= 0 { return outcome("max_time") }
            if step < 1e-14 * max(1, t) { return outcome("non_finite") }
            let hitsEnd = step >= remaining
            let hs = hitsEnd ? remaining : step
            for s in 1...errorStageCount { stages.evaluateStage(s, stepSize: hs) }
            rhs += errorStageCount
            let err = stages.stepError(stepSize: hs)

            if !err.isFinite {
                rejected += 1
                guard let retry = controller.rejectNonFinite(stepSize: hs) else { return outcome("non_finite") }
                step = retry
                continue
            }
            controller.errorWasFinite()
            if err <= 1 {
                if !pair.errorUsesNewPoint {
                    stages.evaluateStage(pair.newPointStage, stepSize: hs)
                    rhs += 1
                }
                var d = stages.newPointDiagnostics()
                if !d.isFinite {
                    rejected += 1
                    guard let retry = controller.rejectNonFinite(stepSize: hs) else { return outcome("non_finite") }
                    step = retry
                    continue
                }
                let stateIsFinite = stages.acceptStep(stepSize: hs, diagnostics: &d)
                t = hitsEnd ? settings.maxTime : t + hs
                accepted += 1
                last = d
                trace.append(TracePoint(time: t, excessLoss: d.excessLoss))
                if !stateIsFinite { return outcome("non_finite") }
                if rule.isConverged(time: t, d) { return outcome("converged") }
                step = controller.accept(error: err, stepSize: hs)
            } else {
                rejected += 1
                step = controller.reject(error: err, stepSize: hs)
            }
        }
    }
}

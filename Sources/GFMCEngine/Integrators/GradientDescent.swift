/// Fixed-step gradient descent driver (contract on `IntegrationSettings`): at each iterate the gradient is
/// evaluated once, the stopping rule is checked, then the system's exact discrete update is applied.
enum GradientDescent {
    static func run(_ system: some FlowSystem, state y: UnsafeMutablePointer<Double>,
                    settings: IntegrationSettings,
                          problem: Problem) -> IntegrationOutcome {
        let dim = system.dimension
        let eta = settings.gdStepSize
        let gradientBuffer = RawBuffer(count: dim)
        defer { withExtendedLifetime(gradientBuffer) {} }
        let dy = gradientBuffer.pointer

        var rule = StoppingRule(settings: settings, problem: problem)
        var trace: [TracePoint] = []
        var k = 0, rhs = 0
        var first: FlowDiagnostics?
        var last = FlowDiagnostics(excessLoss: .nan, motion: .nan, dissipation: .nan)
        var t: Double { eta * Double(k) }

        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: k, rhsEvaluations: rhs,
                               rejectedSteps: 0, finalTime: t, initialExcessLoss: first?.excessLoss ?? .nan,
                               finalExcessLoss: last.excessLoss, finalMotion: last.motion,
                               finalRateEstimate: rule.rateEstimate, finalRemainingMotion: rule.remainingMotion,
                               trace: trace)
        }

        while true {
            system.derivative(y, into: dy); rhs += 1
            let d = system.diagnostics(y, derivative: dy)
            if !d.isFinite || !EmbeddedPair.allFinite(y, dim) {
                // The state returned is this first non-finite iterate (keeping a backup copy would cost a
                // pass over the weights per iteration); the outcome's losses are the last finite ones.
                return outcome("non_finite")
            }
            if first == nil { first = d }
            last = d
            trace.append(TracePoint(time: t, excessLoss: d.excessLoss))
            if rule.isConverged(time: t, d) { return outcome("converged") }
            if k >= settings.maxSteps { return outcome("max_steps") }
            if eta * Double(k + 1) > settings.maxTime * (1 + 1e-12) { return outcome("max_time") }
            system.gradientDescentStep(y, derivative: dy, stepSize: eta)
            k += 1
        }
    }
}

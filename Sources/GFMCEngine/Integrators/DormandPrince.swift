import Foundation

/// Adaptive Dormand–Prince 5(4) driver with FSAL, Hairer's initial step and PI step-size control
/// (contract on `IntegrationSettings`). Advances `state` in place; all 9 work vectors are allocated once.
enum DormandPrince {
    // Butcher tableau (Dormand & Prince 1980; checked against SciPy's RK45).
    static let c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9
    static let a21 = 1.0 / 5
    static let a31 = 3.0 / 40, a32 = 9.0 / 40
    static let a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9
    static let a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729
    static let a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176
    static let a65 = -5103.0 / 18656
    static let b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84
    /// e = b(5th order) − b̂(4th order).
    static let e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200
    static let e6 = 22.0 / 525, e7 = -1.0 / 40

    static let safety = 0.9, beta = 0.04, maxGrowth = 10.0, maxShrink = 0.2
    static let maxConsecutiveNonFinite = 20

    static func integrate(_ system: some FlowSystem, state y0: UnsafeMutablePointer<Double>,
                          settings: IntegrationSettings,
                          problem: Problem) -> IntegrationOutcome {
        let dim = system.dimension
        let parts = system.parts
        let rtol = settings.relativeTolerance, atol = settings.absoluteTolerance
        let buffers = (0..<9).map { _ in RawBuffer(count: dim) }
        var y = buffers[0].pointer
        var yNew = buffers[1].pointer
        var k1 = buffers[2].pointer
        let k2 = buffers[3].pointer, k3 = buffers[4].pointer, k4 = buffers[5].pointer
        let k5 = buffers[6].pointer, k6 = buffers[7].pointer
        var k7 = buffers[8].pointer
        // Keep the work vectors alive until the very end (Swift may otherwise end `buffers`' lifetime early).
        defer { withExtendedLifetime(buffers) {} }
        y.update(from: y0, count: dim)
        defer { y0.update(from: y, count: dim) }

        var rule = StoppingRule(settings: settings, problem: problem)
        var rhs = 0
        system.derivative(y, into: k1); rhs += 1
        let d0 = system.diagnostics(y, derivative: k1)
        var trace = [TracePoint(time: 0, excessLoss: d0.excessLoss)]
        var last = d0
        var t = 0.0
        var accepted = 0, rejected = 0

        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: accepted,
                               rhsEvaluations: rhs, rejectedSteps: rejected, finalTime: t,
                               initialExcessLoss: d0.excessLoss, finalExcessLoss: last.excessLoss,
                               finalMotion: last.motion, finalRateEstimate: rule.rateEstimate,
                               finalRemainingMotion: rule.remainingMotion, trace: trace)
        }

        guard d0.isFinite, allFinite(y, dim) else { return outcome("non_finite") }
        if rule.isConverged(time: 0, d0) { return outcome("converged") }

        // Per-part scaled norm max_p ‖v_p‖ / (atol·√len + rtol·‖y_p‖).
        func scaledNorm(_ v: UnsafePointer<Double>, scale: Double = 1) -> Double {
            var worst = 0.0
            for p in parts {
                let len = p.count
                let num = rawSumOfSquares(v + p.lowerBound, count: len).squareRoot() * scale
                let den = atol * Double(len).squareRoot()
                    + rtol * rawSumOfSquares(y + p.lowerBound, count: len).squareRoot()
                worst = max(worst, den > 0 ? num / den : (num > 0 ? .infinity : 0))
            }
            return worst
        }

        // Hairer's initial step (Solving ODEs I, II.4), with the per-part norm; one extra evaluation.
        var h: Double
        do {
            let dy0 = scaledNorm(y), df0 = scaledNorm(k1)
            var h0 = (dy0 < 1e-5 || df0 < 1e-5) ? 1e-6 : 0.01 * dy0 / df0
            h0 = min(h0, settings.maxTime)
            for i in 0..<dim { yNew[i] = y[i] + h0 * k1[i] }
            system.derivative(yNew, into: k2); rhs += 1
            for i in 0..<dim { k3[i] = k2[i] - k1[i] }
            let d2 = scaledNorm(k3) / h0
            let h1: Double
            if !d2.isFinite {
                h1 = h0 * 1e-3
            } else if max(df0, d2) <= 1e-15 {
                h1 = max(1e-6, h0 * 1e-3)
            } else {
                h1 = Foundation.pow(0.01 / max(df0, d2), 1.0 / 5)
            }
            h = min(100 * h0, h1)
        }

        var errOld = 1e-4
        var lastRejected = false
        var nonFiniteInARow = 0
        while true {
            if accepted + rejected >= settings.maxSteps { return outcome("max_steps") }
            let remaining = settings.maxTime - t
            if remaining <= 0 { return outcome("max_time") }
            if h < 1e-14 * max(1, t) { return outcome("non_finite") }
            let hitsEnd = h >= remaining
            let hs = hitsEnd ? remaining : h

            for i in 0..<dim { yNew[i] = y[i] + hs * (a21 * k1[i]) }
            system.derivative(yNew, into: k2)
            for i in 0..<dim { yNew[i] = y[i] + hs * (a31 * k1[i] + a32 * k2[i]) }
            system.derivative(yNew, into: k3)
            for i in 0..<dim { yNew[i] = y[i] + hs * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i]) }
            system.derivative(yNew, into: k4)
            for i in 0..<dim {
                yNew[i] = y[i] + hs * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i])
            }
            system.derivative(yNew, into: k5)
            for i in 0..<dim {
                yNew[i] = y[i] + hs * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i])
            }
            system.derivative(yNew, into: k6)
            for i in 0..<dim {
                yNew[i] = y[i] + hs * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i])
            }
            system.derivative(yNew, into: k7)
            rhs += 6

            // Error estimate per part; the new state's finiteness is part of the test.
            var err = 0.0
            for p in parts {
                var num = 0.0, normY = 0.0, normNew = 0.0
                for i in p {
                    let delta = hs * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i])
                    num += delta * delta
                    normY += y[i] * y[i]
                    normNew += yNew[i] * yNew[i]
                }
                let den = atol * Double(p.count).squareRoot() + rtol * max(normY, normNew).squareRoot()
                let ratio = den > 0 ? num.squareRoot() / den : (num > 0 ? .infinity : 0)
                err = max(err, normNew.isFinite ? ratio : .nan)
                if err.isNaN { break }
            }

            if !err.isFinite {
                rejected += 1
                nonFiniteInARow += 1
                if nonFiniteInARow >= maxConsecutiveNonFinite { return outcome("non_finite") }
                h = hs * 0.1
                lastRejected = true
                continue
            }
            nonFiniteInARow = 0

            if err <= 1 {
                let d = system.diagnostics(yNew, derivative: k7)
                if !d.isFinite {
                    // The accepted state is finite but its loss or gradient overflowed: treat like a rejection.
                    rejected += 1
                    nonFiniteInARow += 1
                    if nonFiniteInARow >= maxConsecutiveNonFinite { return outcome("non_finite") }
                    h = hs * 0.1
                    lastRejected = true
                    continue
                }
                t = hitsEnd ? settings.maxTime : t + hs
                swap(&y, &yNew)
                swap(&k1, &k7)
                accepted += 1
                last = d
                trace.append(TracePoint(time: t, excessLoss: d.excessLoss))
                if rule.isConverged(time: t, d) { return outcome("converged") }
                // PI controller (Hairer's DOPRI5): h_new = h · err^{−(0.2 − 0.75β)} · errOld^{β} · safety.
                var factor = safety * Foundation.pow(max(err, 1e-300), -(0.2 - 0.75 * beta)) * Foundation.pow(errOld, beta)
                factor = min(lastRejected ? 1 : maxGrowth, max(maxShrink, factor))
                errOld = max(err, 1e-4)
                lastRejected = false
                h = hs * factor
            } else {
                rejected += 1
                let factor = max(maxShrink, safety * Foundation.pow(err, -0.2))
                h = hs * factor
                lastRejected = true
            }
        }
    }

    static func allFinite(_ v: UnsafePointer<Double>, _ count: Int) -> Bool {
        var s = 0.0
        for i in 0..<count { s += v[i] * 0 }
        return !s.isNaN
    }
}

import Foundation
import GFMCLinearAlgebra

/// Dormand–Prince 5(4) and gradient descent specialized to the weights (U n×h, V m×h), exploiting that every
/// increment of U is low rank: dU = G V with G = XᵀR only n×m. A stage value is then
/// `U_s = U + h Σ_j a_sj G_j V_j`, `V_s = V + h Σ_j a_sj Q_j` (Q_j = G_jᵀ U_j = dV at stage j), and everything a
/// stage needs follows from two passes over U and small m-sized products, without forming U_s:
///
///     P_s = U_s V_sᵀ = U V_sᵀ + h Σ_j a_sj G_j (V_j V_sᵀ)
///     Q_s = G_sᵀ U_s = G_sᵀ U + h Σ_j a_sj (G_sᵀ G_j) V_j
///
/// U itself is written once per accepted step (U += G_all C_b, one gemm) and the U-part of the error
/// estimate is formed once per attempted step. That is about 15 passes over U per step instead of ~50
/// for a generic RK on the full state; the per-evaluation cost is the bare matrix products P = UVᵀ and GᵀU.
/// The arithmetic is the same Dormand–Prince method with the same controller as `DormandPrince`
/// (the tests compare it with the Gram engine, which uses the generic driver).
final class WeightsFlowIntegrator {
    typealias DP = DormandPrince
    let samples: Int, n: Int, m: Int, r: Int, h: Int
    private let x: RawBuffer, yData: RawBuffer, phi1: RawBuffer, yTilde: RawBuffer
    private let sqrtSigma: [Double]
    /// The state.
    let u: RawBuffer, v: RawBuffer
    /// Per stage s = 0…6: G_s (n×m, contiguous as G_all n×7m), V_s and Q_s (m×h), P_s (n×m).
    private let gAll: RawBuffer, vStage: [RawBuffer], qStage: [RawBuffer], pStage: [RawBuffer]
    /// Coefficient stack C (7m×h), the n×h error increment, residual (N×m), small scratch.
    private let cStack: RawBuffer, increment: RawBuffer, residual: RawBuffer, small: RawBuffer, small2: RawBuffer
    private let f: RawBuffer
    private let problem: Problem

    init(problem: Problem, u0: Matrix, v0: Matrix) {
        let n = problem.inputDimension, m = problem.outputDimension, h = u0.cols
        self.problem = problem
        samples = problem.samples
        self.n = n
        self.m = m
        r = problem.rank
        self.h = h
        x = RawBuffer(copying: problem.x.storage)
        yData = RawBuffer(copying: problem.y.storage)
        phi1 = RawBuffer(copying: problem.phi1.storage)
        yTilde = RawBuffer(copying: problem.yTilde.storage)
        sqrtSigma = problem.sigmaX.map { $0.squareRoot() }
        u = RawBuffer(copying: u0.storage)
        v = RawBuffer(copying: v0.storage)
        gAll = RawBuffer(count: 7 * n * m)
        vStage = (0..<7).map { _ in RawBuffer(count: m * h) }
        qStage = (0..<7).map { _ in RawBuffer(count: m * h) }
        pStage = (0..<7).map { _ in RawBuffer(count: n * m) }
        cStack = RawBuffer(count: 7 * m * h)
        increment = RawBuffer(count: n * h)
        residual = RawBuffer(count: samples * m)
        small = RawBuffer(count: m * m)
        small2 = RawBuffer(count: m * m)
        f = RawBuffer(count: r * m)
    }

    private func g(_ s: Int) -> UnsafeMutablePointer<Double> { gAll.pointer + s * n * m }

    /// G_s = Xᵀ(Y − X P_s) from P_s.
    private func formG(_ s: Int) {
        residual.pointer.update(from: yData.pointer, count: samples * m)
        rawGemm(transposeA: false, transposeB: false, m: samples, n: m, k: n, alpha: -1, x.pointer, lda: samples,
                pStage[s].pointer, ldb: n, beta: 1, residual.pointer, ldc: samples)
        rawGemm(transposeA: true, transposeB: false, m: n, n: m, k: samples, alpha: 1, x.pointer, lda: samples,
                residual.pointer, ldb: samples, beta: 0, g(s), ldc: n)
    }

    /// Evaluates stage s at U_s = U + Σ_j c_j G_j V_j, V_s = V + Σ_j c_j Q_j (c_j = h·a_sj, j < s):
    /// fills V_s, P_s, G_s, Q_s. With no coefficients it evaluates at (U, V) itself.
    private func evaluateStage(_ s: Int, _ tableauRow: [(Int, Double)], stepSize hs: Double = 0) {
        let vs = vStage[s].pointer, count = m * h
        vs.update(from: v.pointer, count: count)
        for (j, a) in tableauRow {
            let c = hs * a
            let qj = qStage[j].pointer
            for i in 0..<count { vs[i] += c * qj[i] }
        }
        // P_s = U V_sᵀ + Σ_j c_j G_j (V_j V_sᵀ)
        let ps = pStage[s].pointer
        rawGemm(transposeA: false, transposeB: true, m: n, n: m, k: h, alpha: 1, u.pointer, lda: n,
                vs, ldb: m, beta: 0, ps, ldc: n)
        for (j, a) in tableauRow {
            let c = hs * a
            rawGemm(transposeA: false, transposeB: true, m: m, n: m, k: h, alpha: 1, vStage[j].pointer, lda: m,
                    vs, ldb: m, beta: 0, small.pointer, ldc: m)
            rawGemm(transposeA: false, transposeB: false, m: n, n: m, k: m, alpha: c, g(j), lda: n,
                    small.pointer, ldb: m, beta: 1, ps, ldc: n)
        }
        formG(s)
        // Q_s = G_sᵀ U + Σ_j c_j (G_sᵀ G_j) V_j
        let qs = qStage[s].pointer
        rawGemm(transposeA: true, transposeB: false, m: m, n: h, k: n, alpha: 1, g(s), lda: n,
                u.pointer, ldb: n, beta: 0, qs, ldc: m)
        for (j, a) in tableauRow {
            let c = hs * a
            rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: n, alpha: 1, g(s), lda: n,
                    g(j), ldb: n, beta: 0, small.pointer, ldc: m)
            rawGemm(transposeA: false, transposeB: false, m: m, n: h, k: m, alpha: c, small.pointer, lda: m,
                    vStage[j].pointer, ldb: m, beta: 1, qs, ldc: m)
        }
    }

    /// Builds C (rows j·m..<(j+1)·m = hs·w_j V_j) and either forms Σ_j G_j (hs·w_j V_j) in `increment`
    /// and returns its Frobenius norm, or (`addToU`) adds it to U and returns ‖U‖_F.
    private func combineU(_ weights: [Double], stepSize hs: Double, addToU: Bool) -> Double {
        let stages = weights.count, rows = stages * m
        let cp = cStack.pointer
        for col in 0..<h {
            for j in 0..<stages {
                let vj = vStage[j].pointer, w = hs * weights[j]
                for i in 0..<m { cp[j * m + i + col * rows] = w * vj[i + col * m] }
            }
        }
        if addToU {
            rawGemm(transposeA: false, transposeB: false, m: n, n: h, k: rows, alpha: 1, gAll.pointer, lda: n,
                    cp, ldb: rows, beta: 1, u.pointer, ldc: n)
            return rawSumOfSquares(u.pointer, count: n * h).squareRoot()
        }
        rawGemm(transposeA: false, transposeB: false, m: n, n: h, k: rows, alpha: 1, gAll.pointer, lda: n,
                cp, ldb: rows, beta: 0, increment.pointer, ldc: n)
        return rawSumOfSquares(increment.pointer, count: n * h).squareRoot()
    }

    /// Diagnostics at stage s (its P, G, V, Q describe that state); `scale` = ‖U‖_F‖V‖_F (or 0).
    private func diagnostics(stage s: Int, scale: Double) -> FlowDiagnostics {
        rawGemm(transposeA: true, transposeB: false, m: r, n: m, k: n, alpha: 1, phi1.pointer, lda: n,
                pStage[s].pointer, ldb: n, beta: 0, f.pointer, ldc: r)
        var lossSum = 0.0, motionSum = 0.0, rowSum = 0.0
        for j in 0..<m {
            for i in 0..<r {
                let e = yTilde.pointer[i + j * r] - sqrtSigma[i] * f.pointer[i + j * r]
                lossSum += e * e
                motionSum += sqrtSigma[i] * sqrtSigma[i] * e * e
                rowSum += e * e / (sqrtSigma[i] * sqrtSigma[i])
            }
        }
        // ‖dU‖² = ‖G V‖² = ⟨GᵀG, V Vᵀ⟩ (both PSD m×m), ‖dV‖² = ‖Q‖².
        rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: n, alpha: 1, g(s), lda: n, g(s), ldb: n,
                beta: 0, small.pointer, ldc: m)
        rawGemm(transposeA: false, transposeB: true, m: m, n: m, k: h, alpha: 1, vStage[s].pointer, lda: m,
                vStage[s].pointer, ldb: m, beta: 0, small2.pointer, ldc: m)
        var dissipation = rawSumOfSquares(qStage[s].pointer, count: m * h)
        for i in 0..<(m * m) { dissipation += small.pointer[i] * small2.pointer[i] }
        return FlowDiagnostics(excessLoss: 0.5 * lossSum, motion: motionSum.squareRoot(), dissipation: dissipation,
                               rowSpaceResidual: rowSum.squareRoot(), representationScale: scale)
    }

    /// Moves stage 6's quantities (the new point, FSAL) into slot 0.
    private func promoteLastStage() {
        pStage[0].pointer.update(from: pStage[6].pointer, count: n * m)
        g(0).update(from: g(6), count: n * m)
        vStage[0].pointer.update(from: vStage[6].pointer, count: m * h)
        qStage[0].pointer.update(from: qStage[6].pointer, count: m * h)
    }

    // MARK: Dormand–Prince 5(4)

    func integrateFlow(settings: IntegrationSettings) -> IntegrationOutcome {
        let rtol = settings.relativeTolerance, atol = settings.absoluteTolerance
        let lenU = Double(n * h).squareRoot(), lenV = Double(m * h).squareRoot()
        var rule = StoppingRule(settings: settings, problem: problem)
        var rhs = 0, accepted = 0, rejected = 0
        var t = 0.0
        evaluateStage(0, []); rhs += 1
        var normU = rawSumOfSquares(u.pointer, count: n * h).squareRoot()
        var normV = rawSumOfSquares(v.pointer, count: m * h).squareRoot()
        let d0 = diagnostics(stage: 0, scale: normU * normV)
        var last = d0
        var trace = [TracePoint(time: 0, excessLoss: d0.excessLoss)]
        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: accepted,
                               rhsEvaluations: rhs, rejectedSteps: rejected, finalTime: t,
                               initialExcessLoss: d0.excessLoss, finalExcessLoss: last.excessLoss,
                               finalMotion: last.motion, finalRateEstimate: rule.rateEstimate,
                               finalRemainingMotion: rule.remainingMotion, trace: trace)
        }
        guard d0.isFinite, normU.isFinite, normV.isFinite else { return outcome("non_finite") }
        if rule.isConverged(time: 0, d0) { return outcome("converged") }

        // Initial step: 0.01·‖y‖/‖f‖ in the per-part scaled norm (Hairer's first estimate), capped by maxTime.
        let normDU = (d0.dissipation - rawSumOfSquares(qStage[0].pointer, count: m * h)).squareRoot()
        let normDV = rawSumOfSquares(qStage[0].pointer, count: m * h).squareRoot()
        let scaleU0 = atol * lenU + rtol * normU, scaleV0 = atol * lenV + rtol * normV
        let dy0 = max(normU / scaleU0, normV / scaleV0)
        let df0 = max(normDU.isNaN ? 0 : normDU / scaleU0, normDV / scaleV0)
        var step = min((dy0 < 1e-5 || df0 < 1e-5) ? 1e-6 : 0.01 * dy0 / df0, settings.maxTime)

        let rows = DP.stageRows, e = DP.errorWeights
        var controller = DP.StepController()
        while true {
            if accepted + rejected >= settings.maxSteps { return outcome("max_steps") }
            let remaining = settings.maxTime - t
            if remaining <= 0 { return outcome("max_time") }
            if step < 1e-14 * max(1, t) { return outcome("non_finite") }
            let hitsEnd = step >= remaining
            let hs = hitsEnd ? remaining : step
            for s in 1..<7 { evaluateStage(s, rows[s], stepSize: hs) }
            rhs += 6
            // Error: ΔU = Σ_j G_j (h e_j V_j) formed once; ΔV = h Σ_j e_j Q_j.
            let deltaU = combineU(e, stepSize: hs, addToU: false)
            var deltaVSquared = 0.0
            for i in 0..<(m * h) {
                var acc = 0.0
                for j in 0..<7 where e[j] != 0 { acc += e[j] * qStage[j].pointer[i] }
                deltaVSquared += (hs * acc) * (hs * acc)
            }
            let newNormV = rawSumOfSquares(vStage[6].pointer, count: m * h).squareRoot()
            let scaleU = atol * lenU + rtol * normU
            let scaleV = atol * lenV + rtol * max(normV, newNormV)
            var err = max(deltaU / scaleU, deltaVSquared.squareRoot() / scaleV)
            if !newNormV.isFinite || !rawSumOfSquares(pStage[6].pointer, count: n * m).isFinite { err = .nan }

            if !err.isFinite {
                rejected += 1
                guard let retry = controller.rejectNonFinite(stepSize: hs) else { return outcome("non_finite") }
                step = retry
                continue
            }
            controller.errorWasFinite()
            if err <= 1 {
                var d = diagnostics(stage: 6, scale: 0)
                if !d.isFinite {
                    rejected += 1
                    guard let retry = controller.rejectNonFinite(stepSize: hs) else { return outcome("non_finite") }
                    step = retry
                    continue
                }
                normU = combineU(DP.solutionWeights, stepSize: hs, addToU: true)
                v.pointer.update(from: vStage[6].pointer, count: m * h)
                normV = newNormV
                d.representationScale = normU * normV
                promoteLastStage()
                t = hitsEnd ? settings.maxTime : t + hs
                accepted += 1
                last = d
                trace.append(TracePoint(time: t, excessLoss: d.excessLoss))
                if !normU.isFinite { return outcome("non_finite") }
                if rule.isConverged(time: t, d) { return outcome("converged") }
                step = controller.accept(error: err, stepSize: hs)
            } else {
                rejected += 1
                step = controller.reject(error: err, stepSize: hs)
            }
        }
    }

    // MARK: Gradient descent

    func runGradientDescent(settings: IntegrationSettings) -> IntegrationOutcome {
        let eta = settings.gdStepSize
        var rule = StoppingRule(settings: settings, problem: problem)
        var trace: [TracePoint] = []
        var k = 0, rhs = 0
        var first: FlowDiagnostics?
        var last = FlowDiagnostics(excessLoss: .nan, motion: .nan, dissipation: .nan)
        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: k, rhsEvaluations: rhs,
                               rejectedSteps: 0, finalTime: eta * Double(k),
                               initialExcessLoss: first?.excessLoss ?? .nan, finalExcessLoss: last.excessLoss,
                               finalMotion: last.motion, finalRateEstimate: rule.rateEstimate,
                               finalRemainingMotion: rule.remainingMotion, trace: trace)
        }
        while true {
            evaluateStage(0, []); rhs += 1
            let d = diagnostics(stage: 0, scale: 0)
            // Non-finite: the state returned is this first non-finite iterate; the losses are the last finite ones.
            if !d.isFinite { return outcome("non_finite") }
            if first == nil { first = d }
            last = d
            let t = eta * Double(k)
            trace.append(TracePoint(time: t, excessLoss: d.excessLoss))
            if rule.isConverged(time: t, d) { return outcome("converged") }
            if k >= settings.maxSteps { return outcome("max_steps") }
            if eta * Double(k + 1) > settings.maxTime * (1 + 1e-12) { return outcome("max_time") }
            // U ← U + η G V, V ← V + η GᵀU (simultaneous: Q₀ = GᵀU was formed from the old U).
            rawGemm(transposeA: false, transposeB: false, m: n, n: h, k: m, alpha: eta, g(0), lda: n,
                    v.pointer, ldb: m, beta: 1, u.pointer, ldc: n)
            let vp = v.pointer, qp = qStage[0].pointer
            for i in 0..<(m * h) { vp[i] += eta * qp[i] }
            k += 1
        }
    }
}

import Foundation
import GFMCLinearAlgebra

/// The stages of an embedded Runge–Kutta pair (`EmbeddedPair`, run by the shared driver `AdaptiveIntegration`)
/// and gradient descent specialized to the weights (U n×h, V m×h), exploiting that every
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
/// Steps, controller and stopping are `AdaptiveIntegration`'s, shared with the Gram flow (the tests compare
/// the two engines).
final class WeightsFlowIntegrator: AdaptiveFlowStages {
    /// The embedded pair of `.flow` (stage buffers are sized for it).
    let pair: EmbeddedPair
    let samples: Int, n: Int, m: Int, r: Int, h: Int
    private let x: RawBuffer, yData: RawBuffer, phi1: RawBuffer, yTilde: RawBuffer
    private let sqrtSigma: [Double]
    /// The state.
    let u: RawBuffer, v: RawBuffer
    /// Per stage s = 0…newPointStage: G_s (n×m, contiguous as G_all), V_s and Q_s (m×h), P_s (n×m).
    private let gAll: RawBuffer, vStage: [RawBuffer], qStage: [RawBuffer], pStage: [RawBuffer]
    /// Coefficient stack C (slots·m × h), the n×h error increment, residual (N×m), small scratch.
    private let cStack: RawBuffer, increment: RawBuffer, residual: RawBuffer, small: RawBuffer, small2: RawBuffer
    private let f: RawBuffer
    private let problem: Problem
    /// Scratch m×h block for the V increments.
    private let scratchV: RawBuffer
    /// Tolerances of the running integration and the norms of U, V at the current point (and of the new V).
    private var rtol = 0.0, atol = 0.0, normU = 0.0, normV = 0.0, newNormV = 0.0

    init(problem: Problem, u0: Matrix, v0: Matrix, scheme: IntegrationScheme = .dopri5) {
        let n = problem.inputDimension, m = problem.outputDimension, h = u0.cols
        pair = EmbeddedPair.pair(for: scheme)
        let slots = pair.stageSlots
        scratchV = RawBuffer(count: m * h)
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
        gAll = RawBuffer(count: slots * n * m)
        vStage = (0..<slots).map { _ in RawBuffer(count: m * h) }
        qStage = (0..<slots).map { _ in RawBuffer(count: m * h) }
        pStage = (0..<slots).map { _ in RawBuffer(count: n * m) }
        cStack = RawBuffer(count: slots * m * h)
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

    /// Moves the new point's quantities into slot 0.
    private func promoteLastStage() {
        let s = pair.newPointStage
        pStage[0].pointer.update(from: pStage[s].pointer, count: n * m)
        g(0).update(from: g(s), count: n * m)
        vStage[0].pointer.update(from: vStage[s].pointer, count: m * h)
        qStage[0].pointer.update(from: qStage[s].pointer, count: m * h)
    }

    // MARK: Adaptive integration (stages for `AdaptiveIntegration`)

    /// Runs the adaptive integration with `pair` (the driver owns steps, controller, stopping and caps).
    func integrateFlow(settings: IntegrationSettings) -> IntegrationOutcome {
        let rtol = settings.relativeTolerance, atol = settings.absoluteTolerance
        self.rtol = rtol
        self.atol = atol
        let lenU = Double(n * h).squareRoot(), lenV = Double(m * h).squareRoot()
        evaluateStage(0, [])
        normU = rawSumOfSquares(u.pointer, count: n * h).squareRoot()
        normV = rawSumOfSquares(v.pointer, count: m * h).squareRoot()
        let d0 = diagnostics(stage: 0, scale: normU * normV)

        // Initial step: 0.01·‖y‖/‖f‖ in the per-part scaled norm (Hairer's first estimate).
        let normDU = (d0.dissipation - rawSumOfSquares(qStage[0].pointer, count: m * h)).squareRoot()
        let normDV = rawSumOfSquares(qStage[0].pointer, count: m * h).squareRoot()
        let scaleU0 = atol * lenU + rtol * normU, scaleV0 = atol * lenV + rtol * normV
        let dy0 = max(normU / scaleU0, normV / scaleV0)
        let df0 = max(normDU.isNaN ? 0 : normDU / scaleU0, normDV / scaleV0)
        let step = (dy0 < 1e-5 || df0 < 1e-5) ? 1e-6 : 0.01 * dy0 / df0
        return AdaptiveIntegration.run(self, pair: pair, settings: settings, problem: problem, start: d0,
                                       startIsFinite: normU.isFinite && normV.isFinite, initialStep: step)
    }

    func evaluateStage(_ s: Int, stepSize hs: Double) { evaluateStage(s, pair.stageRows[s], stepSize: hs) }

    /// Error: ΔU = Σ_j G_j (h e_j V_j) formed once per error vector; ΔV = h Σ_j e_j Q_j.
    func stepError(stepSize hs: Double) -> Double {
        let lenU = Double(n * h).squareRoot(), lenV = Double(m * h).squareRoot()
        let newPoint = pair.newPointStage
        let mh = m * h
        newNormV = pair.errorUsesNewPoint ? rawSumOfSquares(vStage[newPoint].pointer, count: mh).squareRoot()
            : .nan
        var uNorms: [Double] = [], vNorms: [Double] = []
        for e in pair.errorWeights {
            uNorms.append(combineU(e, stepSize: hs, addToU: false))
            let acc = scratchV.pointer
            acc.update(repeating: 0, count: mh)
            for j in 0..<e.count where e[j] != 0 {
                let w = e[j], qj = qStage[j].pointer
                for i in 0..<mh { acc[i] += w * qj[i] }
            }
            var deltaVSquared = 0.0
            for i in 0..<mh { deltaVSquared += (hs * acc[i]) * (hs * acc[i]) }
            vNorms.append(deltaVSquared.squareRoot())
        }
        if !pair.errorUsesNewPoint {
            // The new V is not formed before acceptance: V + h Σ_j b_j Q_j.
            let acc = scratchV.pointer, b = pair.solutionWeights
            acc.update(from: v.pointer, count: mh)
            for j in 0..<b.count where b[j] != 0 {
                let c = hs * b[j], qj = qStage[j].pointer
                for i in 0..<mh { acc[i] += c * qj[i] }
            }
            newNormV = rawSumOfSquares(acc, count: mh).squareRoot()
        }
        let scaleU = atol * lenU + rtol * normU
        let scaleV = atol * lenV + rtol * max(normV, newNormV)
        var err = max(pair.combine(uNorms.map { $0 / scaleU }), pair.combine(vNorms.map { $0 / scaleV }))
        // The attempted state is finite when the last stage the error used is (every stage feeds into it).
        let stagesFinite = rawSumOfSquares(pStage[pair.evaluationsPerAttempt].pointer, count: n * m).isFinite
        if !newNormV.isFinite || !stagesFinite { err = .nan }
        return err
    }

    func newPointDiagnostics() -> FlowDiagnostics { diagnostics(stage: pair.newPointStage, scale: 0) }

    func acceptStep(stepSize hs: Double, diagnostics d: inout FlowDiagnostics) -> Bool {
        normU = combineU(pair.solutionWeights, stepSize: hs, addToU: true)
        v.pointer.update(from: vStage[pair.newPointStage].pointer, count: m * h)
        normV = newNormV
        d.representationScale = normU * normV
        promoteLastStage()
        return normU.isFinite
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

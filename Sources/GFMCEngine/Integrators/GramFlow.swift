import Foundation
import GFMCLinearAlgebra

/// Dormand–Prince 5(4) for the reduced Gram dynamics with the large blocks carried in factored form
/// (the analogue of `WeightsFlowIntegrator`). The increments of the big blocks are low rank:
/// dK₁₁ = B K₁₂ᵀ + K₁₂ Bᵀ (rank ≤ 2m) and dΦ_top = B Φ_bot (rank ≤ m). So a stage value is
/// `K₁₁,s = K₁₁ + Σ_j c_j (B_j K₁₂,jᵀ + K₁₂,j B_jᵀ)`, `Φ_top,s = Φ_top + Σ_j c_j B_j Φ_bot,j` (never formed), while the
/// small blocks K₁₂, K₂₂, Φ_bot are carried explicitly per stage. What a stage needs costs one pass over K₁₁
/// and one over Φ_top:
///
///     dK₁₂,s = B_s K₂₂,s + K₁₁ B_s + Σ_j c_j [B_j (K₁₂,jᵀ B_s) + K₁₂,j (B_jᵀ B_s)]
///     dK₂₂,s = B_sᵀ K₁₂,s + K₁₂,sᵀ B_s
///     dΦ_bot,s = B_sᵀ Φ_top + Σ_j c_j (B_sᵀ B_j) Φ_bot,j
///
/// K₁₁ and Φ_top are written once per accepted step. Same method, controller and stopping rule as
/// `DormandPrince` on `GramSystem` (which remains the gradient-descent path).
final class GramFlowIntegrator {
    typealias DP = DormandPrince
    let r: Int, m: Int, d: Int
    private let problem: Problem
    private let yTilde: RawBuffer
    private let sqrtSigma: [Double]
    /// Big state blocks.
    let k11: RawBuffer, phiTop: RawBuffer
    /// Small state blocks at the current point.
    private let k12: RawBuffer, k22: RawBuffer, phiBot: RawBuffer
    /// [B_0 … B_6 | K₁₂,0 … K₁₂,6] (r×14m), so ΔK₁₁ = L Rᵀ with one gemm.
    private let lAll: RawBuffer
    private let dK12: [RawBuffer], k22s: [RawBuffer], dK22: [RawBuffer], phiBots: [RawBuffer], dPhiBot: [RawBuffer]
    private let rAll: RawBuffer, cPhi: RawBuffer, incK11: RawBuffer, incPhi: RawBuffer
    private let mm: RawBuffer, mm2: RawBuffer, rm: RawBuffer

    init(problem: Problem, k0: Matrix) {
        let r = problem.rank, m = problem.outputDimension, d = r + m
        self.r = r
        self.m = m
        self.d = d
        self.problem = problem
        yTilde = RawBuffer(copying: problem.yTilde.storage)
        sqrtSigma = problem.sigmaX.map { $0.squareRoot() }
        k11 = RawBuffer(count: r * r)
        phiTop = RawBuffer(count: r * d)
        k12 = RawBuffer(count: r * m)
        k22 = RawBuffer(count: m * m)
        phiBot = RawBuffer(count: m * d)
        lAll = RawBuffer(count: 14 * r * m)
        dK12 = (0..<7).map { _ in RawBuffer(count: r * m) }
        k22s = (0..<7).map { _ in RawBuffer(count: m * m) }
        dK22 = (0..<7).map { _ in RawBuffer(count: m * m) }
        phiBots = (0..<7).map { _ in RawBuffer(count: m * d) }
        dPhiBot = (0..<7).map { _ in RawBuffer(count: m * d) }
        rAll = RawBuffer(count: 14 * r * m)
        cPhi = RawBuffer(count: 7 * m * d)
        incK11 = RawBuffer(count: r * r)
        incPhi = RawBuffer(count: r * d)
        mm = RawBuffer(count: m * m)
        mm2 = RawBuffer(count: m * m)
        rm = RawBuffer(count: r * m)
        for j in 0..<r { for i in 0..<r { k11.pointer[i + j * r] = k0[i, j] } }
        for j in 0..<m { for i in 0..<r { k12.pointer[i + j * r] = k0[i, r + j] } }
        for j in 0..<m { for i in 0..<m { k22.pointer[i + j * m] = k0[r + i, r + j] } }
        for j in 0..<d {
            for i in 0..<r { phiTop.pointer[i + j * r] = i == j ? 1 : 0 }
            for i in 0..<m { phiBot.pointer[i + j * m] = r + i == j ? 1 : 0 }
        }
    }

    private func b(_ s: Int) -> UnsafeMutablePointer<Double> { lAll.pointer + s * r * m }
    private func k12s(_ s: Int) -> UnsafeMutablePointer<Double> { lAll.pointer + (7 + s) * r * m }

    /// Fills stage s: K₁₂,s, K₂₂,s, Φ_bot,s, B_s and their derivatives.
    private func evaluateStage(_ s: Int, _ tableauRow: [(Int, Double)], stepSize hs: Double = 0) {
        let rmCount = r * m, mmCount = m * m, mdCount = m * d
        let k12p = k12s(s), k22p = k22s[s].pointer, pbp = phiBots[s].pointer
        k12p.update(from: k12.pointer, count: rmCount)
        k22p.update(from: k22.pointer, count: mmCount)
        pbp.update(from: phiBot.pointer, count: mdCount)
        for (j, a) in tableauRow {
            let c = hs * a
            let x1 = dK12[j].pointer, x2 = dK22[j].pointer, x3 = dPhiBot[j].pointer
            for i in 0..<rmCount { k12p[i] += c * x1[i] }
            for i in 0..<mmCount { k22p[i] += c * x2[i] }
            for i in 0..<mdCount { pbp[i] += c * x3[i] }
        }
        // B_s = Σ^{1/2}(Ỹ − Σ^{1/2} K₁₂,s)
        let bs = b(s)
        for j in 0..<m {
            for i in 0..<r {
                bs[i + j * r] = sqrtSigma[i] * (yTilde.pointer[i + j * r] - sqrtSigma[i] * k12p[i + j * r])
            }
        }
        // dK₁₂,s = B_s K₂₂,s + K₁₁ B_s + Σ_j c_j [B_j (K₁₂,jᵀ B_s) + K₁₂,j (B_jᵀ B_s)]
        let out = dK12[s].pointer
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: 1, bs, lda: r, k22p, ldb: m,
                beta: 0, out, ldc: r)
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: r, alpha: 1, k11.pointer, lda: r, bs, ldb: r,
                beta: 1, out, ldc: r)
        for (j, a) in tableauRow {
            let c = hs * a
            rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, k12s(j), lda: r, bs, ldb: r,
                    beta: 0, mm.pointer, ldc: m)
            rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: c, b(j), lda: r,
                    mm.pointer, ldb: m, beta: 1, out, ldc: r)
            rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, b(j), lda: r, bs, ldb: r,
                    beta: 0, mm.pointer, ldc: m)
            rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: c, k12s(j), lda: r,
                    mm.pointer, ldb: m, beta: 1, out, ldc: r)
        }
        // dK₂₂,s = T + Tᵀ, T = B_sᵀ K₁₂,s
        rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, bs, lda: r, k12p, ldb: r,
                beta: 0, mm.pointer, ldc: m)
        let t = mm.pointer, o22 = dK22[s].pointer
        for j in 0..<m { for i in 0..<m { o22[i + j * m] = t[i + j * m] + t[j + i * m] } }
        // dΦ_bot,s = B_sᵀ Φ_top + Σ_j c_j (B_sᵀ B_j) Φ_bot,j
        let ob = dPhiBot[s].pointer
        rawGemm(transposeA: true, transposeB: false, m: m, n: d, k: r, alpha: 1, bs, lda: r, phiTop.pointer, ldb: r,
                beta: 0, ob, ldc: m)
        for (j, a) in tableauRow {
            let c = hs * a
            rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, bs, lda: r, b(j), ldb: r,
                    beta: 0, mm.pointer, ldc: m)
            rawGemm(transposeA: false, transposeB: false, m: m, n: d, k: m, alpha: c, mm.pointer, lda: m,
                    phiBots[j].pointer, ldb: m, beta: 1, ob, ldc: m)
        }
    }

    /// Σ_j w_j (B_j K₁₂,jᵀ + K₁₂,j B_jᵀ) into K₁₁ (add) or `incK11`, and Σ_j w_j B_j Φ_bot,j into Φ_top (add) or
    /// `incPhi`, with w_j = hs·weights[j]. Returns the Frobenius norms of the results.
    private func combineBig(_ weights: [Double], stepSize hs: Double, add: Bool) -> (k11: Double, phiTop: Double) {
        let stages = weights.count, rmCount = r * m
        // R = [w_j K₁₂,j … | w_j B_j …] (r × 2·stages·m), L = [B_j … | K₁₂,j …] laid out the same way.
        let rp = rAll.pointer
        for j in 0..<stages {
            let w = hs * weights[j]
            let kj = k12s(j), bj = b(j)
            for i in 0..<rmCount {
                rp[j * rmCount + i] = w * kj[i]
                rp[(stages + j) * rmCount + i] = w * bj[i]
            }
        }
        // L must be [B_0…B_{stages−1} | K₁₂,0…]: with stages < 7 the K₁₂ half does not follow directly, so
        // use two gemms (B-part and K₁₂-part).
        let target = add ? k11.pointer : incK11.pointer
        rawGemm(transposeA: false, transposeB: true, m: r, n: r, k: stages * m, alpha: 1, b(0), lda: r,
                rp, ldb: r, beta: add ? 1 : 0, target, ldc: r)
        rawGemm(transposeA: false, transposeB: true, m: r, n: r, k: stages * m, alpha: 1, k12s(0), lda: r,
                rp + stages * rmCount, ldb: r, beta: 1, target, ldc: r)
        let cp = cPhi.pointer, rows = stages * m
        for col in 0..<d {
            for j in 0..<stages {
                let w = hs * weights[j], pj = phiBots[j].pointer
                for i in 0..<m { cp[j * m + i + col * rows] = w * pj[i + col * m] }
            }
        }
        let targetPhi = add ? phiTop.pointer : incPhi.pointer
        rawGemm(transposeA: false, transposeB: false, m: r, n: d, k: rows, alpha: 1, b(0), lda: r, cp, ldb: rows,
                beta: add ? 1 : 0, targetPhi, ldc: r)
        return (rawSumOfSquares(target, count: r * r).squareRoot(),
                rawSumOfSquares(targetPhi, count: r * d).squareRoot())
    }

    private func diagnostics(stage s: Int) -> FlowDiagnostics {
        var lossSum = 0.0, motionSum = 0.0, rowSum = 0.0
        let k12p = k12s(s)
        for j in 0..<m {
            for i in 0..<r {
                let e = yTilde.pointer[i + j * r] - sqrtSigma[i] * k12p[i + j * r]
                lossSum += e * e
                motionSum += sqrtSigma[i] * sqrtSigma[i] * e * e
                rowSum += e * e / (sqrtSigma[i] * sqrtSigma[i])
            }
        }
        // tr(S K S) = ⟨B, B K₂₂ + K₁₁ B⟩ = ⟨B, dK₁₂⟩.
        var dissipation = 0.0
        let bs = b(s), dk = dK12[s].pointer
        for i in 0..<(r * m) { dissipation += bs[i] * dk[i] }
        return FlowDiagnostics(excessLoss: 0.5 * lossSum, motion: motionSum.squareRoot(), dissipation: dissipation,
                               rowSpaceResidual: rowSum.squareRoot(),
                               representationScale: rawSumOfSquares(k12p, count: r * m).squareRoot())
    }

    private func promoteLastStage() {
        b(0).update(from: b(6), count: r * m)
        k12s(0).update(from: k12s(6), count: r * m)
        dK12[0].pointer.update(from: dK12[6].pointer, count: r * m)
        k22s[0].pointer.update(from: k22s[6].pointer, count: m * m)
        dK22[0].pointer.update(from: dK22[6].pointer, count: m * m)
        phiBots[0].pointer.update(from: phiBots[6].pointer, count: m * d)
        dPhiBot[0].pointer.update(from: dPhiBot[6].pointer, count: m * d)
    }

    /// K (d×d) and Φ (d×d) assembled from the blocks.
    func result() -> (gram: Matrix, transition: Matrix) {
        var k = Matrix(rows: d, cols: d), phi = Matrix(rows: d, cols: d)
        for j in 0..<r { for i in 0..<r { k[i, j] = k11.pointer[i + j * r] } }
        for j in 0..<m {
            for i in 0..<r {
                k[i, r + j] = k12.pointer[i + j * r]
                k[r + j, i] = k12.pointer[i + j * r]
            }
        }
        for j in 0..<m { for i in 0..<m { k[r + i, r + j] = k22.pointer[i + j * m] } }
        for j in 0..<d {
            for i in 0..<r { phi[i, j] = phiTop.pointer[i + j * r] }
            for i in 0..<m { phi[r + i, j] = phiBot.pointer[i + j * m] }
        }
        return (k, phi)
    }

    func integrateFlow(settings: IntegrationSettings) -> IntegrationOutcome {
        let rtol = settings.relativeTolerance, atol = settings.absoluteTolerance
        var rule = StoppingRule(settings: settings, problem: problem)
        var rhs = 0, accepted = 0, rejected = 0
        var t = 0.0
        evaluateStage(0, []); rhs += 1
        let d0 = diagnostics(stage: 0)
        var last = d0
        var trace = [TracePoint(time: 0, excessLoss: d0.excessLoss)]
        func outcome(_ reason: String) -> IntegrationOutcome {
            IntegrationOutcome(converged: reason == "converged", stopReason: reason, steps: accepted,
                               rhsEvaluations: rhs, rejectedSteps: rejected, finalTime: t,
                               initialExcessLoss: d0.excessLoss, finalExcessLoss: last.excessLoss,
                               finalMotion: last.motion, finalRateEstimate: rule.rateEstimate,
                               finalRemainingMotion: rule.remainingMotion, trace: trace)
        }
        func norm(_ p: UnsafePointer<Double>, _ count: Int) -> Double { rawSumOfSquares(p, count: count).squareRoot() }
        func scale(_ count: Int, _ size: Double) -> Double { atol * Double(count).squareRoot() + rtol * size }
        var normK11 = norm(k11.pointer, r * r), normPhiTop = norm(phiTop.pointer, r * d)
        guard d0.isFinite, normK11.isFinite else { return outcome("non_finite") }
        if rule.isConverged(time: 0, d0) { return outcome("converged") }

        // Initial step: 0.01·‖y‖/‖f‖ (Hairer's first estimate) on the small blocks, whose derivatives are at hand.
        let y0 = max(norm(k12.pointer, r * m) / scale(r * m, norm(k12.pointer, r * m)),
                     norm(phiBot.pointer, m * d) / scale(m * d, norm(phiBot.pointer, m * d)))
        let f0 = max(norm(dK12[0].pointer, r * m) / scale(r * m, norm(k12.pointer, r * m)),
                     norm(dPhiBot[0].pointer, m * d) / scale(m * d, norm(phiBot.pointer, m * d)))
        var step = min((y0 < 1e-5 || f0 < 1e-5) ? 1e-6 : 0.01 * y0 / f0, settings.maxTime)

        let a: [[Double]] = [[], [DP.a21], [DP.a31, DP.a32], [DP.a41, DP.a42, DP.a43],
                             [DP.a51, DP.a52, DP.a53, DP.a54], [DP.a61, DP.a62, DP.a63, DP.a64, DP.a65],
                             [DP.b1, 0, DP.b3, DP.b4, DP.b5, DP.b6]]
        let e = [DP.e1, 0, DP.e3, DP.e4, DP.e5, DP.e6, DP.e7]
        let rows: [[(Int, Double)]] = a.map { row in
            row.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
        }
        var errOld = 1e-4
        var lastRejected = false
        var nonFiniteInARow = 0
        while true {
            if accepted + rejected >= settings.maxSteps { return outcome("max_steps") }
            let remaining = settings.maxTime - t
            if remaining <= 0 { return outcome("max_time") }
            if step < 1e-14 * max(1, t) { return outcome("non_finite") }
            let hitsEnd = step >= remaining
            let hs = hitsEnd ? remaining : step
            for s in 1..<7 { evaluateStage(s, rows[s], stepSize: hs) }
            rhs += 6
            let big = combineBig(e, stepSize: hs, add: false)
            func smallError(_ derivative: (Int) -> UnsafeMutablePointer<Double>, _ old: UnsafePointer<Double>,
                            _ new: UnsafePointer<Double>, _ count: Int) -> Double {
                var sum = 0.0
                for i in 0..<count {
                    var acc = 0.0
                    for j in 0..<7 where e[j] != 0 { acc += e[j] * derivative(j)[i] }
                    sum += (hs * acc) * (hs * acc)
                }
                let size = max(norm(old, count), norm(new, count))
                return size.isFinite ? sum.squareRoot() / scale(count, size) : .nan
            }
            var err = max(big.k11 / scale(r * r, normK11), big.phiTop / scale(r * d, normPhiTop))
            err = max(err, smallError({ self.dK12[$0].pointer }, k12.pointer, k12s(6), r * m))
            err = max(err, smallError({ self.dK22[$0].pointer }, k22.pointer, k22s[6].pointer, m * m))
            err = max(err, smallError({ self.dPhiBot[$0].pointer }, phiBot.pointer, phiBots[6].pointer, m * d))
            if big.k11.isNaN || big.phiTop.isNaN { err = .nan }

            if !err.isFinite {
                rejected += 1
                nonFiniteInARow += 1
                if nonFiniteInARow >= DP.maxConsecutiveNonFinite { return outcome("non_finite") }
                step = hs * 0.1
                lastRejected = true
                continue
            }
            nonFiniteInARow = 0
            if err <= 1 {
                let dNew = diagnostics(stage: 6)
                if !dNew.isFinite {
                    rejected += 1
                    nonFiniteInARow += 1
                    if nonFiniteInARow >= DP.maxConsecutiveNonFinite { return outcome("non_finite") }
                    step = hs * 0.1
                    lastRejected = true
                    continue
                }
                (normK11, normPhiTop) = combineBig(a[6], stepSize: hs, add: true)
                k12.pointer.update(from: k12s(6), count: r * m)
                k22.pointer.update(from: k22s[6].pointer, count: m * m)
                phiBot.pointer.update(from: phiBots[6].pointer, count: m * d)
                promoteLastStage()
                t = hitsEnd ? settings.maxTime : t + hs
                accepted += 1
                last = dNew
                trace.append(TracePoint(time: t, excessLoss: dNew.excessLoss))
                if !normK11.isFinite || !normPhiTop.isFinite { return outcome("non_finite") }
                if rule.isConverged(time: t, dNew) { return outcome("converged") }
                var factor = DP.safety * Foundation.pow(max(err, 1e-300), -(0.2 - 0.75 * DP.beta))
                    * Foundation.pow(errOld, DP.beta)
                factor = min(lastRejected ? 1 : DP.maxGrowth, max(DP.maxShrink, factor))
                errOld = max(err, 1e-4)
                lastRejected = false
                step = hs * factor
            } else {
                rejected += 1
                step = hs * max(DP.maxShrink, DP.safety * Foundation.pow(err, -0.2))
                lastRejected = true
            }
        }
    }
}

import Foundation
import COpenBLAS
import GFMCLinearAlgebra

/// The stages of an embedded Runge–Kutta pair (`EmbeddedPair`, run by the shared driver `AdaptiveIntegration`)
/// for the reduced Gram dynamics with the large blocks carried in factored form
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
/// The stage factors are kept side by side, A = [B_0 K₁₂,0 | B_1 K₁₂,1 | … ] (r × 2m per stage), so all the
/// inner products a stage needs are one product Aᵀ B_s and its correction one product A·coefficients.
///
/// Per step the big blocks are touched only when a step is accepted: K₁₁ += Σ_j w_j (B_j K₁₂,jᵀ + K₁₂,j B_jᵀ)
/// is one symmetric rank-2k update (`dsyr2k`, lower triangle; K₁₁ is stored and used as its lower triangle)
/// and Φ_top += Σ_j w_j B_j Φ_bot,j one product. The local-error norms of the big blocks are computed without
/// forming the error increments: with A = Q R (Householder QR of the stages with e_j ≠ 0, backward stable column by column, so no
/// cancellation beyond that of forming the increment), ‖Σ_j e_j (B_j K₁₂,jᵀ + K₁₂,j B_jᵀ)‖_F = ‖R J_e Rᵀ‖_F and
/// ‖Σ_j e_j B_j Φ_bot,j‖_F = ‖R C_e‖_F with small (2m per stage) J_e and C_e. Cost per accepted step
/// of Dormand–Prince 5(4) ≈ 6 stages × (r² + r(r+m))·m + (5m)·(r² + r(r+m)) + O(r·(12m)²) multiply-adds.
/// Steps, controller and stopping rule are `AdaptiveIntegration`'s; `GramSystem` is the gradient-descent path.
final class GramFlowIntegrator: AdaptiveFlowStages {
    /// The embedded pair of `.flow` (stage buffers are sized for it).
    let pair: EmbeddedPair
    let r: Int, m: Int, d: Int
    private let problem: Problem
    private let yTilde: RawBuffer
    private let sqrtSigma: [Double]
    /// Big state blocks. K₁₁ is kept as its lower triangle (the upper part is not maintained).
    let k11: RawBuffer, phiTop: RawBuffer
    /// Small state blocks at the current point.
    private let k12: RawBuffer, k22: RawBuffer, phiBot: RawBuffer
    /// A = [B_0 K₁₂,0 | … | B_s K₁₂,s] (r × 2m·slots): stage j occupies columns 2mj ..< 2m(j+1).
    private let stageFactors: RawBuffer
    private let dK12: [RawBuffer], k22s: [RawBuffer], dK22: [RawBuffer], phiBots: [RawBuffer], dPhiBot: [RawBuffer]
    /// Workspaces: inner products Aᵀ B_s (2m·slots × m) and the correction coefficients (same size).
    private let inner: RawBuffer, coefficients: RawBuffer
    /// QR of A (copy) and its τ; the small cores for the error norms.
    private let qr: RawBuffer, core: RawBuffer, coreTemp: RawBuffer
    private let phiCore: RawBuffer
    /// Accepted-step factors: [B_j] and [w_j K₁₂,j] (r × m·slots each), stacked [w_j Φ_bot,j] (m·slots × d).
    private let updateB: RawBuffer, updateK: RawBuffer, updatePhi: RawBuffer
    /// The new small blocks of a pair whose error does not use the new point, and scratch for error sums.
    private let newK12: RawBuffer, newK22: RawBuffer, newPhiBot: RawBuffer, errorScratch: RawBuffer
    /// Tolerances of the running integration and the norms of the big blocks at the current point.
    private var rtol = 0.0, atol = 0.0, normK11 = 0.0, normPhiTop = 0.0

    init(problem: Problem, k0: Matrix, scheme: IntegrationScheme = .dopri5) {
        let r = problem.rank, m = problem.outputDimension, d = r + m
        pair = EmbeddedPair.pair(for: scheme)
        let slots = pair.stageSlots
        newK12 = RawBuffer(count: r * m)
        newK22 = RawBuffer(count: m * m)
        newPhiBot = RawBuffer(count: m * d)
        errorScratch = RawBuffer(count: max(r, d) * m)
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
        stageFactors = RawBuffer(count: 2 * slots * r * m)
        dK12 = (0..<slots).map { _ in RawBuffer(count: r * m) }
        k22s = (0..<slots).map { _ in RawBuffer(count: m * m) }
        dK22 = (0..<slots).map { _ in RawBuffer(count: m * m) }
        phiBots = (0..<slots).map { _ in RawBuffer(count: m * d) }
        dPhiBot = (0..<slots).map { _ in RawBuffer(count: m * d) }
        inner = RawBuffer(count: 2 * slots * m * m)
        coefficients = RawBuffer(count: 2 * slots * m * m)
        qr = RawBuffer(count: 2 * slots * r * m)
        core = RawBuffer(count: 2 * slots * m * 2 * slots * m)
        coreTemp = RawBuffer(count: 2 * slots * m * 2 * slots * m)
        phiCore = RawBuffer(count: 2 * slots * m * d)
        updateB = RawBuffer(count: slots * r * m)
        updateK = RawBuffer(count: slots * r * m)
        updatePhi = RawBuffer(count: slots * m * d)
        for j in 0..<r { for i in 0..<r { k11.pointer[i + j * r] = k0[i, j] } }
        for j in 0..<m { for i in 0..<r { k12.pointer[i + j * r] = k0[i, r + j] } }
        for j in 0..<m { for i in 0..<m { k22.pointer[i + j * m] = k0[r + i, r + j] } }
        for j in 0..<d {
            for i in 0..<r { phiTop.pointer[i + j * r] = i == j ? 1 : 0 }
            for i in 0..<m { phiBot.pointer[i + j * m] = r + i == j ? 1 : 0 }
        }
    }

    /// B_s and K₁₂,s inside A.
    private func b(_ s: Int) -> UnsafeMutablePointer<Double> { stageFactors.pointer + 2 * s * r * m }
    private func k12s(_ s: Int) -> UnsafeMutablePointer<Double> { stageFactors.pointer + (2 * s + 1) * r * m }

    /// Fills stage s: K₁₂,s, K₂₂,s, Φ_bot,s, B_s and their derivatives. `tableauRow` lists (j, a_sj) for j < s.
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
        let bs = b(s), y = yTilde.pointer
        for j in 0..<m {
            for i in 0..<r {
                bs[i + j * r] = sqrtSigma[i] * (y[i + j * r] - sqrtSigma[i] * k12p[i + j * r])
            }
        }
        // Inner products of B_s with every factor of stages 0…s: ip = A[:, 0..<2m(s+1)]ᵀ B_s (2m(s+1) × m).
        let width = 2 * m * (s + 1), ip = inner.pointer
        rawThinGemm(transposeA: true, transposeB: false, m: width, n: m, k: r, alpha: 1, stageFactors.pointer,
                    lda: r, bs, ldb: r, beta: 0, ip, ldc: width)
        // dK₁₂,s = B_s K₂₂,s + K₁₁ B_s + Σ_j c_j [B_j (K₁₂,jᵀ B_s) + K₁₂,j (B_jᵀ B_s)]
        let out = dK12[s].pointer
        for j in 0..<m {
            for i in 0..<r {
                var acc = 0.0
                for l in 0..<m { acc += bs[i + l * r] * k22p[l + j * m] }
                out[i + j * r] = acc
            }
        }
        if m == 1 {
            cblas_dsymv(CblasColMajor, CblasLower, blasint(r), 1, k11.pointer, blasint(r), bs, 1, 1, out, 1)
        } else {
            cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, blasint(r), blasint(m), 1, k11.pointer, blasint(r),
                        bs, blasint(r), 1, out, blasint(r))
        }
        if s > 0 {
            // coefficients (2ms × m): for stage j, the B_j rows get c_j·K₁₂,jᵀB_s and the K₁₂,j rows c_j·B_jᵀB_s.
            let cw = 2 * m * s, co = coefficients.pointer
            for i in 0..<(cw * m) { co[i] = 0 }
            for (j, a) in tableauRow {
                let c = hs * a
                for col in 0..<m {
                    for l in 0..<m {
                        co[2 * m * j + l + col * cw] = c * ip[2 * m * j + m + l + col * width]
                        co[2 * m * j + m + l + col * cw] = c * ip[2 * m * j + l + col * width]
                    }
                }
            }
            rawThinGemm(transposeA: false, transposeB: false, m: r, n: m, k: cw, alpha: 1, stageFactors.pointer, lda: r,
                        co, ldb: cw, beta: 1, out, ldc: r)
        }
        // dK₂₂,s = T + Tᵀ, T = B_sᵀ K₁₂,s; ip holds K₁₂,sᵀ B_s = Tᵀ in rows 2ms+m ..< 2m(s+1).
        let o22 = dK22[s].pointer, tRow = 2 * m * s + m
        for j in 0..<m { for i in 0..<m { o22[i + j * m] = ip[tRow + j + i * width] + ip[tRow + i + j * width] } }
        // dΦ_bot,s = B_sᵀ Φ_top + Σ_j c_j (B_sᵀ B_j) Φ_bot,j; (B_sᵀ B_j)[i, l] = ip[2mj + l, i].
        let ob = dPhiBot[s].pointer
        rawThinGemm(transposeA: true, transposeB: false, m: m, n: d, k: r, alpha: 1, bs, lda: r, phiTop.pointer,
                    ldb: r, beta: 0, ob, ldc: m)
        for (j, a) in tableauRow {
            let c = hs * a, pj = phiBots[j].pointer
            for i in 0..<m {
                for l in 0..<m {
                    cblas_daxpy(blasint(d), c * ip[2 * m * j + l + i * width], pj + l, blasint(m), ob + i, blasint(m))
                }
            }
        }
    }

    /// Frobenius norms of the error increments of K₁₁ and Φ_top for each weight vector (w_j = hs·weights[j]),
    /// from one QR factorization of the factors of the stages `stagesUsed` (every stage with a nonzero weight in
    /// some vector; see the type's documentation). NaN if a factor is not finite.
    private func bigErrorNorms(_ weightVectors: [[Double]], stages stagesUsed: [Int], stepSize hs: Double)
        -> [(k11: Double, phiTop: Double)] {
        let blockCount = 2 * r * m
        for (q, j) in stagesUsed.enumerated() {
            (qr.pointer + q * blockCount).update(from: b(j), count: blockCount)   // [B_j K₁₂,j]
        }
        let used = stagesUsed.count
        let k = 2 * m * used, count = r * k
        guard EmbeddedPair.allFinite(qr.pointer, count) else {
            return weightVectors.map { _ in (.nan, .nan) }
        }
        // Householder QR; with r < k the factor R is r×k (upper trapezoidal), so R has p = min(r, k) rows.
        householderTriangularize(qr.pointer, rows: r, cols: k)
        let p = min(r, k)
        let rr = coreTemp.pointer
        for j in 0..<k { for i in 0..<p { rr[i + j * p] = i <= j ? qr.pointer[i + j * r] : 0 } }
        return weightVectors.map { weights in
            let stageWeights = stagesUsed.map { j in j < weights.count ? hs * weights[j] : 0 }
            return coreNorms(rr, rows: p, stages: stagesUsed, weights: stageWeights)
        }
    }

    /// ‖R J_w Rᵀ‖_F and ‖R_B C_w‖_F for one weight vector over the stages of the QR in `rr` (p × 2m·stages).
    private func coreNorms(_ rr: UnsafeMutablePointer<Double>, rows p: Int, stages stagesUsed: [Int],
                           weights stageWeights: [Double]) -> (k11: Double, phiTop: Double) {
        let used = stagesUsed.count, k = 2 * m * used
        // R J_e Rᵀ = Σ_q w_q (R_Bq R_Kqᵀ + R_Kq R_Bqᵀ): M = R J_e (p×k), then core = M Rᵀ (p×p).
        let mj = core.pointer
        for q in 0..<used {
            let w = stageWeights[q]
            for col in 0..<m {
                let bCol = 2 * m * q + col, kCol = 2 * m * q + m + col
                for i in 0..<p {
                    // (R J)[:, B column] = w·R[:, K column]; (R J)[:, K column] = w·R[:, B column].
                    mj[i + bCol * p] = w * rr[i + kCol * p]
                    mj[i + kCol * p] = w * rr[i + bCol * p]
                }
            }
        }
        // core[:, j] = Σ_l M[:, l] R[j, l] (R[j, l] = 0 for l < j).
        var k11Sum = 0.0
        let y = phiCore.pointer
        for j in 0..<p {
            y.update(repeating: 0, count: p)
            for l in j..<k {
                let rjl = rr[j + l * p]
                let ml = mj + l * p
                for i in 0..<p { y[i] += ml[i] * rjl }
            }
            for i in 0..<p { k11Sum += y[i] * y[i] }
        }
        // Φ_top increment = A C_e with C_e's B rows w_q Φ_bot,q (K₁₂ rows zero), so its norm is ‖R C_e‖_F =
        // ‖R_B C_B‖_F with R_B the B-columns of R (p × used·m) and C_B the stacked w_q Φ_bot,q (used·m × d).
        let bColumns = used * m, rb = core.pointer, cb = updatePhi.pointer, prod = phiCore.pointer
        for q in 0..<used {
            for l in 0..<m { (rb + (q * m + l) * p).update(from: rr + (2 * m * q + l) * p, count: p) }
            let w = stageWeights[q], pj = phiBots[stagesUsed[q]].pointer
            for col in 0..<d { for l in 0..<m { cb[q * m + l + col * bColumns] = w * pj[l + col * m] } }
        }
        rawGemm(transposeA: false, transposeB: false, m: p, n: d, k: bColumns, alpha: 1, rb, lda: p, cb,
                ldb: bColumns, beta: 0, prod, ldc: p)
        let phiSum = rawFastSumOfSquares(prod, count: p * d)
        return (k11Sum.squareRoot(), phiSum.squareRoot())
    }

    /// Overwrites the upper triangle of the column-major rows×cols block `a` (leading dimension `rows`) with the
    /// R factor of a Householder QR (A = Q R; Q is not kept, entries below the diagonal are left as scratch).
    /// Backward stable column by column like LAPACK dgeqrf; R may differ from LAPACK's by the signs of its rows.
    /// For the few (2m per stage) columns here, level-1 BLAS on each column pair is cheaper than dgeqrf's blocked path.
    private func householderTriangularize(_ a: UnsafeMutablePointer<Double>, rows: Int, cols: Int) {
        for j in 0..<min(rows, cols) {
            let length = rows - j, x = a + j + j * rows
            let alpha = cblas_dnrm2(blasint(length), x, 1)
            if alpha == 0 { continue }
            let x0 = x[0]
            let beta = x0 >= 0 ? -alpha : alpha
            // v = x − β e₁ (stored in place of x), vᵀv = 2α(α + |x0|); H a = a − (2 vᵀa / vᵀv) v.
            x[0] = x0 - beta
            let scale = 2 / (2 * alpha * (alpha + abs(x0)))
            for l in (j + 1)..<max(j + 1, cols) {
                let y = a + j + l * rows
                let s = cblas_ddot(blasint(length), x, 1, y, 1)
                cblas_daxpy(blasint(length), -scale * s, x, 1, y, 1)
            }
            x[0] = beta
        }
    }

    /// K₁₁ += Σ_j w_j (B_j K₁₂,jᵀ + K₁₂,j B_jᵀ) (lower triangle) and Φ_top += Σ_j w_j B_j Φ_bot,j with
    /// w_j = hs·weights[j] over the nonzero weights. Returns the new Frobenius norms.
    private func applyStep(_ weights: [Double], stepSize hs: Double) -> (k11: Double, phiTop: Double) {
        let rmCount = r * m
        var used = 0
        for (j, weight) in weights.enumerated() where weight != 0 {
            let w = hs * weight
            let bj = b(j), kj = k12s(j)
            let ub = updateB.pointer + used * rmCount, uk = updateK.pointer + used * rmCount
            ub.update(from: bj, count: rmCount)
            for i in 0..<rmCount { uk[i] = w * kj[i] }
            used += 1
        }
        let rows = used * m, up = updatePhi.pointer
        var slot = 0
        for (j, weight) in weights.enumerated() where weight != 0 {
            let w = hs * weight, pj = phiBots[j].pointer
            for col in 0..<d { for i in 0..<m { up[slot * m + i + col * rows] = w * pj[i + col * m] } }
            slot += 1
        }
        cblas_dsyr2k(CblasColMajor, CblasLower, CblasNoTrans, blasint(r), blasint(rows), 1, updateB.pointer,
                     blasint(r), updateK.pointer, blasint(r), 1, k11.pointer, blasint(r))
        rawGemm(transposeA: false, transposeB: false, m: r, n: d, k: rows, alpha: 1, updateB.pointer, lda: r,
                up, ldb: rows, beta: 1, phiTop.pointer, ldc: r)
        return (lowerSymmetricNorm(), rawFastSumOfSquares(phiTop.pointer, count: r * d).squareRoot())
    }

    /// ‖K₁₁‖_F from its lower triangle.
    private func lowerSymmetricNorm() -> Double {
        let p = k11.pointer
        var diagonal = 0.0, offDiagonal = 0.0
        for j in 0..<r {
            diagonal += p[j + j * r] * p[j + j * r]
            offDiagonal += rawFastSumOfSquares(p + (j + 1) + j * r, count: r - j - 1)
        }
        return (diagonal + 2 * offDiagonal).squareRoot()
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
        let s = pair.newPointStage
        b(0).update(from: b(s), count: r * m)
        k12s(0).update(from: k12s(s), count: r * m)
        dK12[0].pointer.update(from: dK12[s].pointer, count: r * m)
        k22s[0].pointer.update(from: k22s[s].pointer, count: m * m)
        dK22[0].pointer.update(from: dK22[s].pointer, count: m * m)
        phiBots[0].pointer.update(from: phiBots[s].pointer, count: m * d)
        dPhiBot[0].pointer.update(from: dPhiBot[s].pointer, count: m * d)
    }

    /// K (d×d) and Φ (d×d) assembled from the blocks.
    func result() -> (gram: Matrix, transition: Matrix) {
        var k = Matrix(rows: d, cols: d), phi = Matrix(rows: d, cols: d)
        for j in 0..<r {
            for i in j..<r {
                k[i, j] = k11.pointer[i + j * r]
                k[j, i] = k11.pointer[i + j * r]
            }
        }
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

    /// Runs the adaptive integration with `pair` (the driver owns steps, controller, stopping and caps).
    func integrateFlow(settings: IntegrationSettings) -> IntegrationOutcome {
        rtol = settings.relativeTolerance
        atol = settings.absoluteTolerance
        evaluateStage(0, [])
        let d0 = diagnostics(stage: 0)
        normK11 = lowerSymmetricNorm()
        normPhiTop = norm(phiTop.pointer, r * d)

        // Initial step: 0.01·‖y‖/‖f‖ (Hairer's first estimate) on the small blocks, whose derivatives are at hand.
        let y0 = max(norm(k12.pointer, r * m) / scale(r * m, norm(k12.pointer, r * m)),
                     norm(phiBot.pointer, m * d) / scale(m * d, norm(phiBot.pointer, m * d)))
        let f0 = max(norm(dK12[0].pointer, r * m) / scale(r * m, norm(k12.pointer, r * m)),
                     norm(dPhiBot[0].pointer, m * d) / scale(m * d, norm(phiBot.pointer, m * d)))
        let step = (y0 < 1e-5 || f0 < 1e-5) ? 1e-6 : 0.01 * y0 / f0
        return AdaptiveIntegration.run(self, pair: pair, settings: settings, problem: problem, start: d0,
                                       startIsFinite: normK11.isFinite, initialStep: step)
    }

    private func norm(_ p: UnsafePointer<Double>, _ count: Int) -> Double {
        rawSumOfSquares(p, count: count).squareRoot()
    }

    private func scale(_ count: Int, _ size: Double) -> Double { atol * Double(count).squareRoot() + rtol * size }

    func evaluateStage(_ s: Int, stepSize hs: Double) { evaluateStage(s, pair.stageRows[s], stepSize: hs) }

    func stepError(stepSize hs: Double) -> Double {
        let weightVectors = pair.errorWeights
        let big = bigErrorNorms(weightVectors, stages: pair.errorStages, stepSize: hs)
        let newPoint = pair.newPointStage
        let smallNew: (k12: UnsafeMutablePointer<Double>, k22: UnsafeMutablePointer<Double>,
                       phiBot: UnsafeMutablePointer<Double>)
        if pair.errorUsesNewPoint {
            smallNew = (k12s(newPoint), k22s[newPoint].pointer, phiBots[newPoint].pointer)
        } else {
            // The new small blocks are not formed before acceptance: y + h Σ_j b_j k_j.
            let bw = pair.solutionWeights
            func combine(_ base: UnsafePointer<Double>, _ derivatives: [RawBuffer], _ count: Int,
                         into out: UnsafeMutablePointer<Double>) {
                out.update(from: base, count: count)
                for j in 0..<bw.count where bw[j] != 0 {
                    let c = hs * bw[j], dj = derivatives[j].pointer
                    for i in 0..<count { out[i] += c * dj[i] }
                }
            }
            combine(k12.pointer, dK12, r * m, into: newK12.pointer)
            combine(k22.pointer, dK22, m * m, into: newK22.pointer)
            combine(phiBot.pointer, dPhiBot, m * d, into: newPhiBot.pointer)
            smallNew = (newK12.pointer, newK22.pointer, newPhiBot.pointer)
        }
        func smallError(_ e: [Double], _ derivatives: [RawBuffer], _ old: UnsafePointer<Double>,
                        _ new: UnsafePointer<Double>, _ count: Int) -> Double {
            let acc = errorScratch.pointer
            acc.update(repeating: 0, count: count)
            for j in 0..<e.count where e[j] != 0 {
                let w = e[j], dj = derivatives[j].pointer
                for i in 0..<count { acc[i] += w * dj[i] }
            }
            var sum = 0.0
            for i in 0..<count { sum += (hs * acc[i]) * (hs * acc[i]) }
            let size = max(norm(old, count), norm(new, count))
            return size.isFinite ? sum.squareRoot() / scale(count, size) : .nan
        }
        func combined(_ part: (Int) -> Double) -> Double { pair.combine(weightVectors.indices.map(part)) }
        var err = max(combined { big[$0].k11 / self.scale(self.r * self.r, self.normK11) },
                      combined { big[$0].phiTop / self.scale(self.r * self.d, self.normPhiTop) })
        err = max(err, combined { smallError(weightVectors[$0], self.dK12, self.k12.pointer, smallNew.k12, self.r * self.m) })
        err = max(err, combined { smallError(weightVectors[$0], self.dK22, self.k22.pointer, smallNew.k22, self.m * self.m) })
        err = max(err, combined { smallError(weightVectors[$0], self.dPhiBot, self.phiBot.pointer, smallNew.phiBot,
                                             self.m * self.d) })
        if big.contains(where: { $0.k11.isNaN || $0.phiTop.isNaN }) { err = .nan }
        return err
    }

    func newPointDiagnostics() -> FlowDiagnostics { diagnostics(stage: pair.newPointStage) }

    func acceptStep(stepSize hs: Double, diagnostics: inout FlowDiagnostics) -> Bool {
        let s = pair.newPointStage
        (normK11, normPhiTop) = applyStep(pair.solutionWeights, stepSize: hs)
        k12.pointer.update(from: k12s(s), count: r * m)
        k22.pointer.update(from: k22s[s].pointer, count: m * m)
        phiBot.pointer.update(from: phiBots[s].pointer, count: m * d)
        promoteLastStage()
        return normK11.isFinite && normPhiTop.isFinite
    }
}

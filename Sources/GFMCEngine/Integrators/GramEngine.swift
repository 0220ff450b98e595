import GFMCLinearAlgebra

/// Exact reduced Gram dynamics (theory.md §5), cost independent of the width h.
///
/// State: K_r = Z_r Z_rᵀ ((r+m)×(r+m), Z_r = [Φ1ᵀU; V]) and the transition matrix Φ with Z_r(t) = Φ(t) Z_r(0).
/// Flow: dK/dt = S K + K S, dΦ/dt = S Φ, S = [[0, B], [Bᵀ, 0]], B = Σx^{1/2} E, E = Ỹ − Σx^{1/2} K₁₂.
/// The state is kept in blocks K₁₁ (r×r), K₁₂ (r×m), K₂₂ (m×m), Φ_top (r×(r+m)), Φ_bot (m×(r+m)); each block is
/// its own part for the error control, so the small blocks that carry U1Vᵀ and V are integrated to their own
/// relative accuracy. `.flow` runs `GramFlowIntegrator` (stages of the big blocks K₁₁, Φ_top in factored form);
/// `.gd` runs `GramSystem` below. With T = S K: T₁₁ = B K₁₂ᵀ, T₁₂ = B K₂₂, T₂₁ = Bᵀ K₁₁, T₂₂ = Bᵀ K₁₂, and
/// dK₁₁ = T₁₁ + T₁₁ᵀ, dK₁₂ = T₁₂ + T₂₁ᵀ, dK₂₂ = T₂₂ + T₂₂ᵀ (O(r·m·(r+m)), exactly symmetric); dΦ_top = B Φ_bot,
/// dΦ_bot = Bᵀ Φ_top. Gradient descent: Z ← (I + ηS) Z, i.e. K ← K + η(SK + KS) + η² S K S, Φ ← Φ + η S Φ.
public enum GramEngine {
    /// k0 = K_r(0) = Z_r Z_rᵀ with Z_r = [Φ1ᵀU0; V0], size (r+m)×(r+m). Returns K_r at the end and the
    /// transition matrix Φ(t_end) ((r+m)×(r+m), dΦ/dt = S_r Φ, Φ(0) = I), so that Z_r(end) = Φ Z_r(0).
    /// - Throws: `ProblemError` naming "K0" (shape, non-finite, not symmetric) or the bad setting.
    public static func integrate(problem: Problem, reducedGram k0: Matrix, settings: IntegrationSettings) throws
        -> (gram: Matrix, transition: Matrix, outcome: IntegrationOutcome) {
        try settings.validate()
        let d = problem.rank + problem.outputDimension
        guard k0.rows == d, k0.cols == d else {
            throw ProblemError.shapeMismatch(field: "K0", expected: "\(d)×\(d) (r + m = \(problem.rank) + "
                                             + "\(problem.outputDimension))", got: "\(k0.rows)×\(k0.cols)")
        }
        try ProblemError.requireFinite(k0, field: "K0")
        var asymmetry = 0.0
        for j in 0..<d { for i in 0..<j { asymmetry = max(asymmetry, abs(k0[i, j] - k0[j, i])) } }
        guard asymmetry <= 1e-10 * max(k0.maxAbs, Double.leastNormalMagnitude) else {
            throw ProblemError.invalid(field: "K0", reason: "not symmetric (max |K − Kᵀ| = \(asymmetry))")
        }

        switch settings.method {
        case .flow:
            let integrator = GramFlowIntegrator(problem: problem, k0: k0.symmetrized, scheme: settings.scheme)
            let outcome = integrator.integrateFlow(settings: settings)
            let (gram, transition) = integrator.result()
            return (gram, transition, outcome)
        case .gd:
            let system = GramSystem(problem: problem)
            let state = RawBuffer(count: system.dimension)
            system.load(gram: k0.symmetrized, into: state.pointer)
            let outcome = GradientDescent.run(system, state: state.pointer, settings: settings, problem: problem)
            let (gram, transition) = system.unload(state.pointer)
            return (gram, transition, outcome)
        }
    }
}

/// The Gram-form vector field and its exact gradient-descent map. State layout (column-major blocks, d = r + m):
/// K₁₁ (r×r) | K₁₂ (r×m) | K₂₂ (m×m) | Φ_top (r×d) | Φ_bot (m×d).
final class GramSystem: FlowSystem {
    let r: Int, m: Int, d: Int
    let dimension: Int
    let o11: Int, o12: Int, o22: Int, oTop: Int, oBot: Int
    private let yTilde: RawBuffer
    private let sqrtSigma: [Double]
    /// B = Σx^{1/2} E (r×m) and scratch blocks.
    private let b: RawBuffer, t11: RawBuffer, t22: RawBuffer, w1: RawBuffer, w2: RawBuffer
    private let q11: RawBuffer, q12: RawBuffer, q22: RawBuffer, mm: RawBuffer

    init(problem: Problem) {
        r = problem.rank
        m = problem.outputDimension
        d = r + m
        o11 = 0
        o12 = r * r
        o22 = o12 + r * m
        oTop = o22 + m * m
        oBot = oTop + r * d
        dimension = oBot + m * d
        yTilde = RawBuffer(copying: problem.yTilde.storage)
        sqrtSigma = problem.sigmaX.map { $0.squareRoot() }
        b = RawBuffer(count: r * m)
        t11 = RawBuffer(count: r * r)
        t22 = RawBuffer(count: m * m)
        w1 = RawBuffer(count: r * m)
        w2 = RawBuffer(count: r * m)
        q11 = RawBuffer(count: r * r)
        q12 = RawBuffer(count: r * m)
        q22 = RawBuffer(count: m * m)
        mm = RawBuffer(count: m * m)
    }

    func load(gram k: Matrix, into y: UnsafeMutablePointer<Double>) {
        for j in 0..<r { for i in 0..<r { y[o11 + i + j * r] = k[i, j] } }
        for j in 0..<m { for i in 0..<r { y[o12 + i + j * r] = k[i, r + j] } }
        for j in 0..<m { for i in 0..<m { y[o22 + i + j * m] = k[r + i, r + j] } }
        for j in 0..<d {
            for i in 0..<r { y[oTop + i + j * r] = i == j ? 1 : 0 }
            for i in 0..<m { y[oBot + i + j * m] = r + i == j ? 1 : 0 }
        }
    }

    func unload(_ y: UnsafePointer<Double>) -> (gram: Matrix, transition: Matrix) {
        var k = Matrix(rows: d, cols: d), phi = Matrix(rows: d, cols: d)
        for j in 0..<r { for i in 0..<r { k[i, j] = y[o11 + i + j * r] } }
        for j in 0..<m {
            for i in 0..<r {
                k[i, r + j] = y[o12 + i + j * r]
                k[r + j, i] = y[o12 + i + j * r]
            }
        }
        for j in 0..<m { for i in 0..<m { k[r + i, r + j] = y[o22 + i + j * m] } }
        for j in 0..<d {
            for i in 0..<r { phi[i, j] = y[oTop + i + j * r] }
            for i in 0..<m { phi[r + i, j] = y[oBot + i + j * m] }
        }
        return (k, phi)
    }

    /// B = Σx^{1/2}(Ỹ − Σx^{1/2} K₁₂); returns (½‖E‖², ‖B‖²).
    @discardableResult
    private func formB(_ y: UnsafePointer<Double>) -> (loss: Double, motionSquared: Double, rowSpaceSquared: Double) {
        var lossSum = 0.0, motionSum = 0.0, rowSum = 0.0
        for j in 0..<m {
            for i in 0..<r {
                let e = yTilde.pointer[i + j * r] - sqrtSigma[i] * y[o12 + i + j * r]
                let be = sqrtSigma[i] * e
                let re = e / sqrtSigma[i]
                b.pointer[i + j * r] = be
                lossSum += e * e
                motionSum += be * be
                rowSum += re * re
            }
        }
        return (0.5 * lossSum, motionSum, rowSum)
    }

    func derivative(_ y: UnsafePointer<Double>, into dy: UnsafeMutablePointer<Double>) {
        formB(y)
        let bp = b.pointer
        // T₁₁ = B K₁₂ᵀ (r×r), dK₁₁ = T₁₁ + T₁₁ᵀ.
        rawGemm(transposeA: false, transposeB: true, m: r, n: r, k: m, alpha: 1, bp, lda: r,
                y + o12, ldb: r, beta: 0, t11.pointer, ldc: r)
        let tp = t11.pointer
        for j in 0..<r { for i in 0..<r { dy[o11 + i + j * r] = tp[i + j * r] + tp[j + i * r] } }
        // dK₁₂ = B K₂₂ + K₁₁ B.
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: 1, bp, lda: r,
                y + o22, ldb: m, beta: 0, dy + o12, ldc: r)
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: r, alpha: 1, y + o11, lda: r,
                bp, ldb: r, beta: 1, dy + o12, ldc: r)
        // T₂₂ = Bᵀ K₁₂ (m×m), dK₂₂ = T₂₂ + T₂₂ᵀ.
        rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, bp, lda: r,
                y + o12, ldb: r, beta: 0, t22.pointer, ldc: m)
        let sp = t22.pointer
        for j in 0..<m { for i in 0..<m { dy[o22 + i + j * m] = sp[i + j * m] + sp[j + i * m] } }
        // dΦ_top = B Φ_bot, dΦ_bot = Bᵀ Φ_top.
        rawGemm(transposeA: false, transposeB: false, m: r, n: d, k: m, alpha: 1, bp, lda: r,
                y + oBot, ldb: m, beta: 0, dy + oTop, ldc: r)
        rawGemm(transposeA: true, transposeB: false, m: m, n: d, k: r, alpha: 1, bp, lda: r,
                y + oTop, ldb: r, beta: 0, dy + oBot, ldc: m)
    }

    func diagnostics(_ y: UnsafePointer<Double>, derivative dy: UnsafePointer<Double>) -> FlowDiagnostics {
        let (loss, motionSquared, rowSpaceSquared) = formB(y)
        // tr(S K S) = ⟨B, B K₂₂⟩ + ⟨B, K₁₁ B⟩ = ‖B V‖² + ‖Bᵀ U1‖².
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: 1, b.pointer, lda: r,
                y + o22, ldb: m, beta: 0, w1.pointer, ldc: r)
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: r, alpha: 1, y + o11, lda: r,
                b.pointer, ldb: r, beta: 0, w2.pointer, ldc: r)
        var dissipation = 0.0
        for i in 0..<(r * m) { dissipation += b.pointer[i] * (w1.pointer[i] + w2.pointer[i]) }
        return FlowDiagnostics(excessLoss: loss, motion: motionSquared.squareRoot(), dissipation: dissipation,
                               rowSpaceResidual: rowSpaceSquared.squareRoot(),
                               representationScale: rawSumOfSquares(y + o12, count: r * m).squareRoot())
    }

    func gradientDescentStep(_ y: UnsafeMutablePointer<Double>, derivative dy: UnsafePointer<Double>,
                             stepSize eta: Double) {
        formB(y)
        let bp = b.pointer
        // S K S blocks: Q₁₁ = (B K₂₂) Bᵀ, Q₁₂ = B (K₁₂ᵀ B), Q₂₂ = Bᵀ (K₁₁ B), all at the old state.
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: 1, bp, lda: r,
                y + o22, ldb: m, beta: 0, w1.pointer, ldc: r)
        rawGemm(transposeA: false, transposeB: true, m: r, n: r, k: m, alpha: 1, w1.pointer, lda: r,
                bp, ldb: r, beta: 0, q11.pointer, ldc: r)
        rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, y + o12, lda: r,
                bp, ldb: r, beta: 0, mm.pointer, ldc: m)
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: m, alpha: 1, bp, lda: r,
                mm.pointer, ldb: m, beta: 0, q12.pointer, ldc: r)
        rawGemm(transposeA: false, transposeB: false, m: r, n: m, k: r, alpha: 1, y + o11, lda: r,
                bp, ldb: r, beta: 0, w2.pointer, ldc: r)
        rawGemm(transposeA: true, transposeB: false, m: m, n: m, k: r, alpha: 1, bp, lda: r,
                w2.pointer, ldb: r, beta: 0, q22.pointer, ldc: m)
        let eta2 = eta * eta
        for i in 0..<dimension { y[i] += eta * dy[i] }
        let a = q11.pointer, c = q22.pointer, q = q12.pointer
        for j in 0..<r { for i in 0..<r { y[o11 + i + j * r] += eta2 * 0.5 * (a[i + j * r] + a[j + i * r]) } }
        for i in 0..<(r * m) { y[o12 + i] += eta2 * q[i] }
        for j in 0..<m { for i in 0..<m { y[o22 + i + j * m] += eta2 * 0.5 * (c[i + j * m] + c[j + i * m]) } }
    }
}

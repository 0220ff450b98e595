import GFMCLinearAlgebra

/// Gradient flow (or gradient descent) on the literal weights U (n×h) and V (m×h) (theory.md §1).
///
/// Cost per right-hand side O(n·m·h + N·n·m) with BLAS: P = UVᵀ, R = Y − XP, G = XᵀR, dU = GV, dV = GᵀU.
/// All work arrays are allocated once per call. The excess loss is computed as ½‖Ỹ − Σx^{1/2}Φ1ᵀ(UVᵀ)‖_F²
/// (no cancellation against L*). Method, stopping rule and accuracy: see `IntegrationSettings`.
public enum WeightsEngine {
    /// Integrates from (U0, V0) until the stopping rule or a cap.
    /// - Returns: the final U (n×h), V (m×h) and the outcome. A "non_finite" `.flow` run returns the last
    ///   accepted (finite) state.
    /// - Throws: `ProblemError` naming "U0", "V0" or the setting for bad shapes, non-finite entries or bad settings.
    public static func integrate(problem: Problem, u0: Matrix, v0: Matrix, settings: IntegrationSettings) throws
        -> (u: Matrix, v: Matrix, outcome: IntegrationOutcome) {
        try settings.validate()
        let n = problem.inputDimension, m = problem.outputDimension
        guard u0.cols >= 1 else { throw ProblemError.invalid(field: "U0", reason: "width h must be ≥ 1, got \(u0.cols)") }
        guard u0.rows == n else {
            throw ProblemError.shapeMismatch(field: "U0", expected: "\(n)×h", got: "\(u0.rows)×\(u0.cols)")
        }
        guard v0.rows == m, v0.cols == u0.cols else {
            throw ProblemError.shapeMismatch(field: "V0", expected: "\(m)×\(u0.cols)", got: "\(v0.rows)×\(v0.cols)")
        }
        try ProblemError.requireFinite(u0, field: "U0")
        try ProblemError.requireFinite(v0, field: "V0")

        let h = u0.cols
        let system = WeightsSystem(problem: problem, width: h)
        let state = RawBuffer(count: system.dimension)
        state.load(u0.storage, at: 0)
        state.load(v0.storage, at: n * h)
        let outcome: IntegrationOutcome
        switch settings.method {
        case .flow: outcome = DormandPrince.integrate(system, state: state.pointer, settings: settings)
        case .gd: outcome = GradientDescent.run(system, state: state.pointer, settings: settings)
        }
        return (state.matrix(rows: n, cols: h, at: 0), state.matrix(rows: m, cols: h, at: n * h), outcome)
    }
}

/// The weights-form vector field with its preallocated workspaces. State layout: U (n×h, column-major)
/// followed by V (m×h).
final class WeightsSystem: FlowSystem {
    let samples: Int, n: Int, m: Int, r: Int, h: Int
    let dimension: Int
    let parts: [Range<Int>]
    private let x: RawBuffer, y: RawBuffer, phi1: RawBuffer, yTilde: RawBuffer
    private let sqrtSigma: [Double]
    private let p: RawBuffer, residual: RawBuffer, g: RawBuffer, f: RawBuffer

    init(problem: Problem, width: Int) {
        samples = problem.samples
        n = problem.inputDimension
        m = problem.outputDimension
        r = problem.rank
        h = width
        dimension = (n + m) * h
        parts = [0..<(n * h), (n * h)..<((n + m) * h)]
        x = RawBuffer(copying: problem.x.storage)
        y = RawBuffer(copying: problem.y.storage)
        phi1 = RawBuffer(copying: problem.phi1.storage)
        yTilde = RawBuffer(copying: problem.yTilde.storage)
        sqrtSigma = problem.sigmaX.map { $0.squareRoot() }
        p = RawBuffer(count: n * m)
        residual = RawBuffer(count: samples * m)
        g = RawBuffer(count: n * m)
        f = RawBuffer(count: r * m)
    }

    /// P = U Vᵀ (n×m).
    private func formP(_ state: UnsafePointer<Double>) {
        rawGemm(transposeA: false, transposeB: true, m: n, n: m, k: h, alpha: 1, state, lda: n,
                state + n * h, ldb: m, beta: 0, p.pointer, ldc: n)
    }

    func derivative(_ state: UnsafePointer<Double>, into dy: UnsafeMutablePointer<Double>) {
        let u = state, v = state + n * h
        formP(state)
        // R = Y − X P (N×m)
        residual.pointer.update(from: y.pointer, count: samples * m)
        rawGemm(transposeA: false, transposeB: false, m: samples, n: m, k: n, alpha: -1, x.pointer, lda: samples,
                p.pointer, ldb: n, beta: 1, residual.pointer, ldc: samples)
        // G = Xᵀ R (n×m)
        rawGemm(transposeA: true, transposeB: false, m: n, n: m, k: samples, alpha: 1, x.pointer, lda: samples,
                residual.pointer, ldb: samples, beta: 0, g.pointer, ldc: n)
        // dU = G V (n×h), dV = Gᵀ U (m×h)
        rawGemm(transposeA: false, transposeB: false, m: n, n: h, k: m, alpha: 1, g.pointer, lda: n,
                v, ldb: m, beta: 0, dy, ldc: n)
        rawGemm(transposeA: true, transposeB: false, m: m, n: h, k: n, alpha: 1, g.pointer, lda: n,
                u, ldb: n, beta: 0, dy + n * h, ldc: m)
    }

    func diagnostics(_ state: UnsafePointer<Double>, derivative dy: UnsafePointer<Double>) -> FlowDiagnostics {
        formP(state)
        // F = Φ1ᵀ P = U1 Vᵀ (r×m); E = Ỹ − Σx^{1/2} F.
        rawGemm(transposeA: true, transposeB: false, m: r, n: m, k: n, alpha: 1, phi1.pointer, lda: n,
                p.pointer, ldb: n, beta: 0, f.pointer, ldc: r)
        var lossSum = 0.0, motionSum = 0.0
        for j in 0..<m {
            for i in 0..<r {
                let e = yTilde.pointer[i + j * r] - sqrtSigma[i] * f.pointer[i + j * r]
                lossSum += e * e
                motionSum += sqrtSigma[i] * sqrtSigma[i] * e * e
            }
        }
        return FlowDiagnostics(excessLoss: 0.5 * lossSum, motion: motionSum.squareRoot(),
                               dissipation: rawSumOfSquares(dy, count: dimension))
    }

    func gradientDescentStep(_ state: UnsafeMutablePointer<Double>, derivative dy: UnsafePointer<Double>,
                             stepSize eta: Double) {
        for i in 0..<dimension { state[i] += eta * dy[i] }
    }
}

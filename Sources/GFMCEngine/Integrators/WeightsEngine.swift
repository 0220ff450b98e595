import GFMCLinearAlgebra

/// Gradient flow (or gradient descent) on the literal weights U (n×h) and V (m×h) (theory.md §1).
///
/// Cost per right-hand side O(n·m·h + N·n·m) with BLAS: P = UVᵀ, R = Y − XP, G = XᵀR, dU = GV, dV = GᵀU
/// (XU is never formed). Because dU = G V has rank ≤ m, the Runge–Kutta stages are carried in factored form
/// and each evaluation costs just the two passes over U of P = UVᵀ and GᵀU (see `WeightsFlowIntegrator`).
/// All work arrays are allocated once per call. The excess loss is computed as ½‖Ỹ − Σx^{1/2}Φ1ᵀ(UVᵀ)‖_F²
/// (no cancellation against L*). Method, stopping rule and accuracy: see `IntegrationSettings`.
public enum WeightsEngine {
    /// Integrates from (U0, V0) until the stopping rule or a cap.
    /// - Returns: the final U (n×h), V (m×h) and the outcome. A "non_finite" `.flow` run returns the last
    ///   accepted (finite) state; a "non_finite" `.gd` run returns the first non-finite iterate.
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
        let integrator = WeightsFlowIntegrator(problem: problem, u0: u0, v0: v0, scheme: settings.scheme)
        let outcome: IntegrationOutcome
        switch settings.method {
        case .flow: outcome = integrator.integrateFlow(settings: settings)
        case .gd: outcome = integrator.runGradientDescent(settings: settings)
        }
        return (integrator.u.matrix(rows: n, cols: h), integrator.v.matrix(rows: m, cols: h), outcome)
    }
}

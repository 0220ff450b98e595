import GFMCLinearAlgebra

/// # Integrators: method, stopping rule and accuracy contract
///
/// Two engines integrate the gradient flow of `L(U, V) = ½‖Y − X U Vᵀ‖_F²` (theory.md §1):
/// * `WeightsEngine` moves the literal weights U (n×h) and V (m×h). One right-hand side costs
///   O(n·m·h + N·n·m): P = UVᵀ, R = Y − XP, G = XᵀR, dU = GV, dV = GᵀU (XU is never formed). Since every
///   increment of U is G·V with G only n×m, the Runge–Kutta stages are carried in factored form
///   (`WeightsFlowIntegrator`): an evaluation is just the two passes over U of P = UVᵀ and GᵀU, and U is
///   written once per accepted step, so the integrator costs about what the bare matrix products cost.
/// * `GramEngine` moves the reduced Gram matrix K_r = Z_r Z_rᵀ, Z_r = [Φ1ᵀU; V] ((r+m)×(r+m)), by
///   dK/dt = S K + K S with S = [[0, B], [Bᵀ, 0]], B = Σx^{1/2} E, and the transition matrix dΦ/dt = S Φ
///   (theory.md §5). Because rank S ≤ 2m, S K costs O(r·m·(r+m)); nothing depends on the width h. The
///   increments of the big blocks K₁₁ and Φ_top are likewise low rank and carried in factored form
///   (`GramFlowIntegrator`).
///
/// ## Methods
/// * `.flow`: an embedded Runge–Kutta pair chosen by `scheme` (`EmbeddedPair`), run by one driver for both
///   engines (`AdaptiveIntegration`) with Hairer's initial-step heuristic (its first, derivative-free estimate)
///   and his PI step-size controller (safety 0.9, growth ≤ 10×, shrink ≥ 0.2×, no growth right after a
///   rejection, exponent 1/q for an error estimate of order q, β = 0.04 for dopri5 and 0 for dop853):
///   - `.dopri5` (default): Dormand–Prince 5(4), the pair behind MATLAB's ode45 and SciPy's RK45, with FSAL
///     (6 evaluations per attempted step).
///   - `.dop853`: Dormand–Prince 8(5,3), Hairer's DOP853 (11 evaluations per attempted step, 1 more per
///     accepted one; error e5²/sqrt(e5² + 0.01·e3²) per part). On the paper's wide problem it needs about a
///     quarter of the steps and half the evaluations of `.dopri5` at the same tolerance, and agrees with the
///     reference as closely (the tests check 1e-7 on that problem).
///   Both pairs use the same tolerances, error norm and stopping rule. They are different integrations, so
///   their results differ in the last digits (within the accuracy contract); a study names its scheme.
///   Local error: for every part p of the state (U and V; or the blocks K₁₁, K₁₂, K₂₂, Φ_top, Φ_bot) with
///   increment Δ_p = y5 − y4,
///   `err = max_p ‖Δ_p‖_F / (absoluteTolerance·√len_p + relativeTolerance·max(‖y_p‖_F, ‖y_p,new‖_F))`; a
///   step is accepted when err ≤ 1 (the big parts U, K₁₁ and Φ_top are scaled by their norm before the step:
///   their stages are carried in factored form and the new value is formed only once the step is accepted). The norm is taken per part (not per entry) because the contract below
///   is normwise; the Gram state is split into blocks so the small blocks that carry U1Vᵀ and V are held to
///   their own relative accuracy. A step whose estimate or new state is not finite is rejected and retried
///   10× shorter; after 20 such rejections in a row, or when the step falls below 1e-14·max(1, t), the run
///   stops with `stopReason == "non_finite"` (returning the last accepted, finite state).
/// * `.gd`: fixed-step gradient descent with step η = `gdStepSize` for the ½-loss, simultaneous update
///   `U ← U + η XᵀR V`, `V ← V + η RᵀX U`; in Gram form exactly `Z ← (I + ηS)Z`, i.e.
///   `K ← (I + ηS) K (I + ηS)ᵀ`, `Φ ← (I + ηS) Φ`. Time is `t = η·k` after k iterations.
///   (The paper minimized `(1/N)‖·‖²`; its step η_paper corresponds to `gdStepSize = 2·η_paper/N`.)
///
/// ## Stopping rule (identical for both engines and both methods)
/// Checked at t = 0 and after every accepted step. With `L̃ = L − L* = ½‖E‖_F²`, the motion rate
/// `μ = ‖Σx^{1/2}E‖_F` (which bounds `‖dZ/dt‖_F / ‖Z‖_F` for `Z = [U; V]` and for `Z_r`, because
/// `‖S‖₂ ≤ μ`), and the instantaneous decay rate of the exact flow `ρ = ‖dZ/dt‖_F² / L̃ = −(dL̃/dt)/L̃`
/// (from the derivative already computed at that state), the run has **converged** when
///
///     L̃ ≤ excessLossTolerance,   2μ/ρ ≤ thetaChangeTolerance (or μ = 0),   and
///     ‖Σx^{-1/2}E‖_F ≤ thetaChangeTolerance·‖Θ̂‖_F + 100·relativeTolerance·s   (s: see below).
///
/// The third test is exact: U1Vᵀ tends to Σx^{-1/2}Ỹ, so ‖Σx^{-1/2}E‖_F is precisely how far the row-space
/// part of Θ still has to move; it matters for large starts (K_r(0) ≈ c·I with c ≫ 1), where U1Vᵀ is a small
/// difference of large factors. s is the size of the numbers U1Vᵀ is computed from (‖K₁₂‖_F in the Gram
/// engine, ‖U‖_F‖V‖_F for the weights; 0 for `.gd`), so the test never asks for more than the integration
/// noise allows.
///
/// Near the optimum E, and so μ, decay like e^{−ρt/2}, so `2μ/ρ ≈ ∫_t^∞ μ ds` estimates the remaining
/// relative motion of every quantity linear in Z: `U`, `V`, `Z_r = Φ Z_r(0)` and the distance
/// `‖U2(0)V(t)ᵀ‖`. "Θ has stopped moving" means exactly this. A secant rate is deliberately not used: in the
/// tail the step size is limited by stability, the stiffest modes then carry noise at about the relative
/// tolerance, and the loss stops decreasing at a floor near (relativeTolerance·‖state‖)²; the instantaneous
/// rate still measures the flow correctly there. Hence `thetaChangeTolerance` should be ≥ 100 ×
/// `relativeTolerance` (the defaults have a 100× margin), and `excessLossTolerance` must lie above that floor.
/// Set `thetaChangeTolerance` very large (e.g. 1e300) to stop on the loss alone (the paper's own rule).
/// Otherwise the run stops at a cap: `steps` attempted steps (accepted + rejected) reaching `maxSteps`
/// gives "max_steps"; the time reaching `maxTime` gives "max_time" (`.flow` lands exactly on `maxTime`,
/// `.gd` does ⌊maxTime/η⌋ iterations). A capped run has `converged == false`; its last state is returned.
///
/// ## Accuracy contract
/// With the defaults, the final end-to-end matrix and distances agree with a reference integration at
/// `relativeTolerance = 1e-13`, `thetaChangeTolerance = 1e-11` to 1e-7 relative or better, on the
/// paper's problems (theory.md §7) and small random ones; the integrator tests check this. Measured on the
/// paper's wide-network problem: weights vs Gram engine 2e-9 (h = 2000) and 6e-9 (h = 10 000); Gram engine,
/// default vs reference, ≤ 1e-8 for isotropic-like starts K_r(0) ≈ c·I with c from 1e-4 to 4000. The conserved
/// imbalance spectrum (eigenvalues of `K_r J`) drifts by less than 1e-9 relative. Closed forms (theory.md
/// §3, §6) are met to about the relative tolerance.
public enum FlowMethod: String, Codable, Sendable {
    /// Adaptive integration of the gradient flow (the pair is `IntegrationSettings.scheme`).
    case flow
    /// Fixed-step gradient descent (the paper's own procedure).
    case gd
}

/// The embedded Runge–Kutta pair of `.flow` (see `IntegrationSettings`). The raw values are the names used in
/// study files.
public enum IntegrationScheme: String, Codable, Sendable, CaseIterable {
    /// Dormand–Prince 5(4) (the default; every result made before schemes could be chosen used it).
    case dopri5
    /// Dormand–Prince 8(5,3) (Hairer's DOP853): fewer evaluations at tight tolerances.
    case dop853
}

/// Settings of one integration. Tolerances are dimensionless except `excessLossTolerance` (½-loss units) and
/// `absoluteTolerance` (units of the state's entries). Decoding fills missing keys with the defaults.
public struct IntegrationSettings: Codable, Sendable, Equatable {
    /// `.flow` (default) or `.gd`.
    public var method: FlowMethod
    /// The pair of `.flow` (default `.dopri5`; ignored by `.gd`).
    public var scheme: IntegrationScheme
    /// Local relative error per step and per part of the state (normwise). Default 1e-10.
    public var relativeTolerance: Double
    /// Absolute error per entry, RMS over a part. Default 1e-14 (matters only for parts that are ~0).
    public var absoluteTolerance: Double
    /// Converged needs L − L* ≤ this (absolute, ½-loss units). Default 1e-12.
    public var excessLossTolerance: Double
    /// Converged needs the estimated remaining relative motion 2μ/ρ ≤ this. Default 1e-8. Keep it ≥ 100 ×
    /// `relativeTolerance`: below that the state is not known well enough for the test to be met reliably.
    public var thetaChangeTolerance: Double
    /// Cap on attempted steps (`.flow`) or iterations (`.gd`). Default 1 000 000.
    public var maxSteps: Int
    /// Cap on gradient-flow time. Default 1e6.
    public var maxTime: Double
    /// η for `.gd`, in units of the ½‖Y − XUVᵀ‖² loss. Default 1e-3 (choose it below 2/λmax of the Hessian).
    public var gdStepSize: Double

    public init(method: FlowMethod = .flow, relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 1e-14,
                excessLossTolerance: Double = 1e-12, thetaChangeTolerance: Double = 1e-8,
                maxSteps: Int = 1_000_000, maxTime: Double = 1e6, gdStepSize: Double = 1e-3,
                scheme: IntegrationScheme = .dopri5) {
        self.method = method
        self.scheme = scheme
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.excessLossTolerance = excessLossTolerance
        self.thetaChangeTolerance = thetaChangeTolerance
        self.maxSteps = maxSteps
        self.maxTime = maxTime
        self.gdStepSize = gdStepSize
    }

    private enum CodingKeys: String, CodingKey {
        case method, scheme, relativeTolerance, absoluteTolerance, excessLossTolerance, thetaChangeTolerance
        case maxSteps, maxTime, gdStepSize
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = IntegrationSettings()
        method = try c.decodeIfPresent(FlowMethod.self, forKey: .method) ?? d.method
        scheme = try c.decodeIfPresent(IntegrationScheme.self, forKey: .scheme) ?? d.scheme
        relativeTolerance = try c.decodeIfPresent(Double.self, forKey: .relativeTolerance) ?? d.relativeTolerance
        absoluteTolerance = try c.decodeIfPresent(Double.self, forKey: .absoluteTolerance) ?? d.absoluteTolerance
        excessLossTolerance = try c.decodeIfPresent(Double.self, forKey: .excessLossTolerance) ?? d.excessLossTolerance
        thetaChangeTolerance = try c.decodeIfPresent(Double.self, forKey: .thetaChangeTolerance)
            ?? d.thetaChangeTolerance
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps) ?? d.maxSteps
        maxTime = try c.decodeIfPresent(Double.self, forKey: .maxTime) ?? d.maxTime
        gdStepSize = try c.decodeIfPresent(Double.self, forKey: .gdStepSize) ?? d.gdStepSize
    }

    /// Throws `ProblemError.invalid` naming the offending setting (e.g. "settings.relativeTolerance").
    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> ProblemError {
            ProblemError.invalid(field: "settings.\(field)", reason: reason)
        }
        guard relativeTolerance.isFinite, relativeTolerance > 0, relativeTolerance < 1 else {
            throw bad("relativeTolerance", "must be in (0, 1), got \(relativeTolerance)")
        }
        guard absoluteTolerance.isFinite, absoluteTolerance >= 0 else {
            throw bad("absoluteTolerance", "must be finite and ≥ 0, got \(absoluteTolerance)")
        }
        guard !excessLossTolerance.isNaN, excessLossTolerance >= 0 else {
            throw bad("excessLossTolerance", "must be ≥ 0, got \(excessLossTolerance)")
        }
        guard !thetaChangeTolerance.isNaN, thetaChangeTolerance > 0 else {
            throw bad("thetaChangeTolerance", "must be > 0, got \(thetaChangeTolerance)")
        }
        guard maxSteps >= 0 else { throw bad("maxSteps", "must be ≥ 0, got \(maxSteps)") }
        guard !maxTime.isNaN, maxTime > 0 else { throw bad("maxTime", "must be > 0, got \(maxTime)") }
        if method == .gd {
            guard gdStepSize.isFinite, gdStepSize > 0 else {
                throw bad("gdStepSize", "must be finite and > 0 for method gd, got \(gdStepSize)")
            }
        }
    }
}

/// One point of the convergence trace.
public struct TracePoint: Sendable, Equatable {
    /// Gradient-flow time (η·k for gradient descent).
    public var time: Double
    /// L − L* = ½‖E‖_F² at that time.
    public var excessLoss: Double

    public init(time: Double, excessLoss: Double) {
        self.time = time
        self.excessLoss = excessLoss
    }
}

/// How an integration ended. See `IntegrationSettings` for the stopping rule.
public struct IntegrationOutcome: Sendable {
    /// True only when the stopping rule was met (stopReason "converged").
    public var converged: Bool
    /// "converged" | "max_steps" | "max_time" | "non_finite".
    public var stopReason: String
    /// Accepted steps (`.flow`) or iterations (`.gd`).
    public var steps: Int
    /// Right-hand-side (gradient) evaluations, including the initial-step probe.
    public var rhsEvaluations: Int
    /// Rejected steps (`.flow`; 0 for `.gd`).
    public var rejectedSteps: Int
    /// Gradient-flow time at the end.
    public var finalTime: Double
    public var initialExcessLoss: Double
    public var finalExcessLoss: Double
    /// Motion rate μ = ‖Σx^{1/2}E‖_F at the end.
    public var finalMotion: Double
    /// Decay-rate estimate ρ of L − L* at the end (NaN if none was measurable).
    public var finalRateEstimate: Double
    /// Estimated remaining relative motion 2μ/ρ at the end (the quantity compared with thetaChangeTolerance).
    public var finalRemainingMotion: Double
    /// Every accepted step (t, L − L*), starting with t = 0.
    public var trace: [TracePoint]

    public init(converged: Bool, stopReason: String, steps: Int, rhsEvaluations: Int, rejectedSteps: Int,
                finalTime: Double, initialExcessLoss: Double, finalExcessLoss: Double, finalMotion: Double,
                finalRateEstimate: Double, finalRemainingMotion: Double, trace: [TracePoint]) {
        self.converged = converged
        self.stopReason = stopReason
        self.steps = steps
        self.rhsEvaluations = rhsEvaluations
        self.rejectedSteps = rejectedSteps
        self.finalTime = finalTime
        self.initialExcessLoss = initialExcessLoss
        self.finalExcessLoss = finalExcessLoss
        self.finalMotion = finalMotion
        self.finalRateEstimate = finalRateEstimate
        self.finalRemainingMotion = finalRemainingMotion
        self.trace = trace
    }
}

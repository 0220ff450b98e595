/// Why a trial's integration stopped. The raw values are the text in the store, on the wire, in
/// `trials.csv` (`stop_reason`) and in `summary.json` (`stopReasons`).
public enum StopReason: String, Codable, Sendable, CaseIterable {
    /// The convergence rule held (excess loss and remaining motion of UVᵀ below their tolerances).
    case converged
    /// The cap on steps (or gradient-descent iterations) was reached.
    case maxSteps = "max_steps"
    /// The cap on gradient-flow time was reached.
    case maxTime = "max_time"
    /// The state overflowed or the step size collapsed; the last finite state is kept.
    case nonFinite = "non_finite"
    /// LAPACK or the integrator failed; the trial is reported with what was computed before the failure.
    case numericalError = "numerical_error"
    /// The trial has not run (the initial value of a `TrialResult`).
    case notRun = "not_run"
}

import Foundation

/// What the gradient-descent driver needs from a system (internal). The state is a flat vector of
/// `dimension` doubles.
protocol FlowSystem: AnyObject {
    var dimension: Int { get }
    /// dy = f(y), the gradient-flow vector field.
    func derivative(_ y: UnsafePointer<Double>, into dy: UnsafeMutablePointer<Double>)
    /// Excess loss, motion rate and dissipation at `y`; `dy` must be f(y) at the same state.
    func diagnostics(_ y: UnsafePointer<Double>, derivative dy: UnsafePointer<Double>) -> FlowDiagnostics
    /// One gradient-descent step of size η from `y`, whose derivative f(y) is `dy`: the exact discrete
    /// map of the paper's procedure in this system's variables.
    func gradientDescentStep(_ y: UnsafeMutablePointer<Double>, derivative dy: UnsafePointer<Double>, stepSize: Double)
}

/// Scalar summaries of a state (theory.md §2, §5).
struct FlowDiagnostics {
    /// L − L* = ½‖E‖_F², E = Ỹ − Σx^{1/2} U1 Vᵀ.
    var excessLoss: Double
    /// ‖Σx^{1/2} E‖_F = ‖S‖_F/√2 ≥ ‖S‖₂: bounds the relative speed ‖dZ/dt‖_F / ‖Z‖_F of every state linear in Z.
    var motion: Double
    /// ‖dZ/dt‖_F² = tr(S K S) = −d(L − L*)/dt.
    var dissipation: Double
    /// ‖Σx^{-1/2} E‖_F = ‖U1Vᵀ(∞) − U1Vᵀ‖_F exactly (since U1Vᵀ → Σx^{-1/2}Ỹ): the remaining change of the
    /// row-space part of Θ.
    var rowSpaceResidual: Double = 0
    /// Size of the numbers from which U1Vᵀ is formed (‖K₁₂‖_F in the Gram engine, ‖U‖_F‖V‖_F for the weights):
    /// the integration noise in U1Vᵀ is about relativeTolerance times this.
    var representationScale: Double = 0

    var isFinite: Bool { excessLoss.isFinite && motion.isFinite && dissipation.isFinite }
}

/// The convergence test shared by both engines and both methods (documented on `IntegrationSettings`).
struct StoppingRule {
    let excessLossTolerance: Double
    let thetaChangeTolerance: Double
    /// The decay-rate estimate ρ used at the last check (NaN before the first usable one).
    private(set) var rateEstimate: Double = .nan
    /// 2·motion/ρ at the last check: the estimated remaining relative motion of Z.
    private(set) var remainingMotion: Double = .nan

    /// ‖Θ̂‖_F = ‖Σx^{-1/2}Ỹ‖_F, the limit of ‖U1Vᵀ‖_F.
    let thetaHatNorm: Double
    /// Relative noise level of the integrator (relativeTolerance for `.flow`, 0 for `.gd`).
    let noiseLevel: Double
    /// ‖U1Vᵀ(∞) − U1Vᵀ‖_F / ‖Θ̂‖_F at the last check.
    private(set) var rowSpaceRemaining: Double = .nan

    init(settings: IntegrationSettings, problem: Problem) {
        excessLossTolerance = settings.excessLossTolerance
        thetaChangeTolerance = settings.thetaChangeTolerance
        thetaHatNorm = problem.thetaHat.frobeniusNorm
        noiseLevel = settings.method == .flow ? settings.relativeTolerance : 0
    }

    /// Records the state at `time` and says whether the run has converged there.
    ///
    /// The rate is the instantaneous one, ρ = ‖dZ/dt‖²/L̃ = −(dL̃/dt)/L̃ of the exact flow at this state. (A
    /// secant rate over the last step is not used: once the excess loss reaches the integrator's noise floor,
    /// about (relativeTolerance·‖K‖)², it stops decreasing and the secant rate would wrongly read as zero.)
    mutating func isConverged(time: Double, _ d: FlowDiagnostics) -> Bool {
        let rate = d.excessLoss > 0 ? d.dissipation / d.excessLoss : .nan
        rateEstimate = rate
        if d.motion == 0 {
            remainingMotion = 0
        } else {
            remainingMotion = rate > 0 && rate.isFinite ? 2 * d.motion / rate : .infinity
        }
        rowSpaceRemaining = thetaHatNorm > 0 ? d.rowSpaceResidual / thetaHatNorm : 0
        // The row-space part must be within thetaChangeTolerance of its limit, or at the integrator's noise
        // level (100 × relativeTolerance × the scale it is computed from), whichever is larger.
        let rowSpaceConverged = d.rowSpaceResidual
            <= thetaChangeTolerance * thetaHatNorm + 100 * noiseLevel * d.representationScale
        return d.excessLoss <= excessLossTolerance && remainingMotion <= thetaChangeTolerance && rowSpaceConverged
    }
}


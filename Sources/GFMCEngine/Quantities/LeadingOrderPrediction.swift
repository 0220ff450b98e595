import Foundation
import GFMCLinearAlgebra

/// Leading-order finite-width prediction of the distance ‖U(∞)V(∞)ᵀ − Θ̂‖_F (theory.md §6).
///
/// Applies to i.i.d. Gaussian initialization with equal scales σ_U = σ_V = σ (so c = hσ², which is h^{1−2α}
/// for width scaling), at widths h ≫ r + m, when the loss converges. Formula:
///
///     d ≈ sqrt((n − r) · σ² · tr((Θ̂ᵀΘ̂ + c² I_m)^{1/2})),   c = h σ².
///
/// For whitened data (Σx = I) Θ̂ᵀΘ̂ = ỸᵀỸ and this is exactly theory.md §6's formula
/// sqrt((n − r) c tr((ỸᵀỸ + c² I_m)^{1/2}) / h).
///
/// Generalization to any X (our choice, documented here and tested): the distance is ‖U2(0)V(∞)ᵀ‖_F with
/// U2(0) independent of the reduced dynamics, so E d² = (n − r) σ² tr(V(∞)V(∞)ᵀ). At leading order
/// K_r(0) = c I. Conservation of D forces the transition Φ to be J-orthogonal (ΦᵀJΦ = J, J = diag(I_r, −I_m)),
/// so K_r(∞) = c ΦΦᵀ is a symmetric positive definite J-orthogonal matrix, i.e. exp([[0, X], [Xᵀ, 0]]).
/// Its off-diagonal block must equal U1(∞)V(∞)ᵀ = Σx^{−1/2}Ỹ = Φ1ᵀΘ̂, which fixes X, and then
/// V(∞)V(∞)ᵀ = (Θ̂ᵀΘ̂ + c² I_m)^{1/2} for every Σx. The whitened formula is the special case Σx = I.
///
/// Returns 0 for the invariant set (U2(0) = 0 gives distance 0 exactly) and NaN where it does not apply
/// (unequal σ_U ≠ σ_V, balanced or explicit starts).
public enum LeadingOrderPrediction {
    /// The prediction for i.i.d. N(0, σ²) entries of U(0) and V(0) at width h.
    public static func distance(constants: ProblemConstants, width h: Int, sigma: Double) throws -> Double {
        let c = Double(h) * sigma * sigma
        var a = constants.thetaHatGram
        for i in 0..<a.rows { a[i, i] += c * c }
        let traceRoot = try a.symmetricEigenvalues().reduce(0) { $0 + max($1, 0).squareRoot() }
        let nullity = Double(constants.inputDimension - constants.rank)
        return (nullity * sigma * sigma * traceRoot).squareRoot()
    }

    /// The prediction for an initialization spec at width h (see the type's contract for where it applies).
    public static func distance(constants: ProblemConstants, width h: Int,
                                initialization spec: InitializationSpec) throws -> Double {
        switch spec {
        case .invariantSet: return 0
        case .widthScaled, .gaussian:
            let (su, sv) = spec.gaussianScale!.sigmas(width: h)
            guard su == sv else { return .nan }
            return try distance(constants: constants, width: h, sigma: su)
        case .balanced, .explicit: return .nan
        }
    }
}

import Foundation
import GFMCLinearAlgebra

/// Scale of a Gaussian initialization: entries of U(0) have standard deviation σ_U, entries of V(0) σ_V.
public enum GaussianScale: Sendable, Equatable {
    /// σ_U = σ_V = h^{−α} (entries N(0, h^{−2α}), the paper's random initialization).
    case widthScaled(alpha: Double)
    /// Fixed σ_U and σ_V, independent of the width.
    case fixed(sigmaU: Double, sigmaV: Double)

    /// (σ_U, σ_V) at width h.
    public func sigmas(width h: Int) -> (sigmaU: Double, sigmaV: Double) {
        switch self {
        case .widthScaled(let alpha):
            let s = Foundation.pow(Double(h), -alpha)
            return (s, s)
        case .fixed(let u, let v): return (u, v)
        }
    }

    /// α when the scale is width-scaled.
    public var alpha: Double? {
        if case .widthScaled(let a) = self { return a }
        return nil
    }

    func validate(field: String) throws {
        switch self {
        case .widthScaled(let a):
            guard a.isFinite else { throw InitializationError.invalid(field: "\(field).alpha", reason: "must be finite, got \(a)") }
        case .fixed(let u, let v):
            guard u.isFinite, u >= 0 else { throw InitializationError.invalid(field: "\(field).sigmaU", reason: "must be finite and ≥ 0, got \(u)") }
            guard v.isFinite, v >= 0 else { throw InitializationError.invalid(field: "\(field).sigmaV", reason: "must be finite and ≥ 0, got \(v)") }
        }
    }
}

/// How U(0) (n×h) and V(0) (m×h) are chosen (theory.md §4, paper §5.2).
public enum InitializationSpec: Sendable, Equatable {
    /// I.i.d. entries N(0, h^{−2α}) for U and V.
    case widthScaled(alpha: Double)
    /// I.i.d. entries N(0, σ_U²) for U and N(0, σ_V²) for V.
    case gaussian(sigmaU: Double, sigmaV: Double)
    /// Proposition 10's invariant set ("proper" initialization): U(0) = Φ1 U1(0) with U1(0) (r×h) i.i.d.
    /// Gaussian at the scale's σ_U, U2(0) = 0, V(0) i.i.d. Gaussian at σ_V. Then V(0)U2(0)ᵀ = 0 and
    /// U1(0)U2(0)ᵀ = 0, so U(∞)V(∞)ᵀ = Θ̂ exactly when the loss converges. Needs the SVD of X.
    case invariantSet(GaussianScale)
    /// Paper §5.2's balanced start: draw the Gaussian U, V of the same scale (the same draws as
    /// `.gaussian`/`.widthScaled` of this trial), take M = U Vᵀ = P S Qᵀ (thin SVD, k = min(n, m, h) terms)
    /// and use U_b = [P S^{1/2}, 0], V_b = [Q S^{1/2}, 0] (n×h, m×h). Then U_b V_bᵀ = M (the same end-to-end
    /// matrix) and U_bᵀU_b = V_bᵀV_b (balanced: zero imbalance in the full-U sense of the paper).
    case balanced(GaussianScale)
    /// Given U(0) (n×h) and V(0) (m×h); the width of the trial must equal their column count.
    case explicit(u0: Matrix, v0: Matrix)

    /// α of the initialization when it is width-scaled (used for Lemma 11 / Theorem 12); nil otherwise.
    public var alpha: Double? {
        switch self {
        case .widthScaled(let a): return a
        case .invariantSet(let s), .balanced(let s): return s.alpha
        case .gaussian, .explicit: return nil
        }
    }

    /// The Gaussian scale when the initialization is a function of i.i.d. Gaussian draws.
    public var gaussianScale: GaussianScale? {
        switch self {
        case .widthScaled(let a): return .widthScaled(alpha: a)
        case .gaussian(let u, let v): return .fixed(sigmaU: u, sigmaV: v)
        case .invariantSet(let s), .balanced(let s): return s
        case .explicit: return nil
        }
    }

    /// True when the reduced initial state (K_r(0), C(0)) can be sampled directly and exactly in distribution
    /// (theory.md §5.1): all i.i.d. Gaussian starts, and the invariant set (Z_r(0) i.i.d. Gaussian, C(0) = 0).
    public var isReducedSamplable: Bool {
        switch self {
        case .widthScaled, .gaussian, .invariantSet: return true
        case .balanced, .explicit: return false
        }
    }

    /// A short stable name ("width_scaled", "gaussian", "invariant_set", "balanced", "explicit").
    public var name: String {
        switch self {
        case .widthScaled: return "width_scaled"
        case .gaussian: return "gaussian"
        case .invariantSet: return "invariant_set"
        case .balanced: return "balanced"
        case .explicit: return "explicit"
        }
    }

    /// Checks the parameters; errors name the field (`initialization.alpha`, `initialization.sigmaU`, …).
    public func validate() throws {
        switch self {
        case .widthScaled(let a): try GaussianScale.widthScaled(alpha: a).validate(field: "initialization")
        case .gaussian(let u, let v): try GaussianScale.fixed(sigmaU: u, sigmaV: v).validate(field: "initialization")
        case .invariantSet(let s), .balanced(let s): try s.validate(field: "initialization")
        case .explicit(let u0, let v0):
            guard u0.cols >= 1, u0.rows >= 1 else { throw InitializationError.invalid(field: "U0", reason: "is empty") }
            guard v0.rows >= 1 else { throw InitializationError.invalid(field: "V0", reason: "is empty") }
            guard v0.cols == u0.cols else {
                throw InitializationError.invalid(field: "V0", reason: "has \(v0.cols) columns, U0 has \(u0.cols) (both are ·×h)")
            }
            try ProblemError.requireFinite(u0, field: "U0")
            try ProblemError.requireFinite(v0, field: "V0")
        }
    }
}

/// Invalid initialization input; names the field.
public enum InitializationError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let f, let r): return "\(f): \(r)"
        }
    }
}

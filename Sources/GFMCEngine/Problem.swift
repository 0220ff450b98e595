import GFMCLinearAlgebra

/// Invalid problem data. Each case names the offending field so the message is actionable.
public enum ProblemError: Error, Equatable, CustomStringConvertible, Sendable {
    case empty(field: String)
    case shapeMismatch(field: String, expected: String, got: String)
    case nonFinite(field: String, row: Int, column: Int)
    case rankZero(field: String)
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .empty(let f): return "\(f): the matrix is empty"
        case .shapeMismatch(let f, let e, let g): return "\(f): expected shape \(e), got \(g)"
        case .nonFinite(let f, let i, let j): return "\(f): entry (\(i), \(j)) is NaN or infinite"
        case .rankZero(let f): return "\(f): the matrix has rank zero (all singular values below the rank tolerance)"
        case .invalid(let f, let r): return "\(f): \(r)"
        }
    }

    /// Throws `.nonFinite` naming the first bad entry of `m`.
    public static func requireFinite(_ m: Matrix, field: String) throws {
        for j in 0..<m.cols { for i in 0..<m.rows where !m[i, j].isFinite {
            throw ProblemError.nonFinite(field: field, row: i, column: j)
        } }
    }
}

/// A least-squares problem `min ½‖Y − X Θ‖_F²` with its row-space split (theory.md §1–2), computed once
/// per study and shared by every trial.
///
/// Thin SVD `X = W Σx^{1/2} Φ1ᵀ`. The numerical rank r counts singular values above `rankTolerance`
/// (default: σ₁ · max(N, n) · ε, NumPy's `matrix_rank` rule).
public struct Problem: Sendable {
    /// Data X, N×n (samples as rows).
    public let x: Matrix
    /// Targets Y, N×m.
    public let y: Matrix
    /// Numerical rank r of X.
    public let rank: Int
    /// Singular values of X below or at this count as zero.
    public let rankTolerance: Double
    /// Left singular vectors W, N×r.
    public let w: Matrix
    /// Diagonal of Σx: the squared singular values σ_i(X)², i = 1…r, decreasing.
    public let sigmaX: [Double]
    /// Right singular vectors Φ1, n×r (row space of X).
    public let phi1: Matrix
    /// Orthonormal basis Φ2 of the null space of X, n×(n−r).
    public let phi2: Matrix
    /// Ỹ = WᵀY, r×m.
    public let yTilde: Matrix
    /// Min-norm least-squares solution Θ̂ = X^† Y = Φ1 Σx^{-1/2} Ỹ, n×m.
    public let thetaHat: Matrix
    /// L* = ½‖(I − WWᵀ)Y‖_F² = ½(‖Y‖_F² − ‖Ỹ‖_F²) computed from the projected residual (no cancellation).
    public let optimalLoss: Double

    public var samples: Int { x.rows }
    /// Input dimension n.
    public var inputDimension: Int { x.cols }
    /// Output dimension m.
    public var outputDimension: Int { y.cols }
    /// λ1(Σx) and λr(Σx).
    public var sigmaXMax: Double { sigmaX.first ?? 0 }
    public var sigmaXMin: Double { sigmaX.last ?? 0 }

    /// Validates X and Y and computes the split.
    /// - Throws: `ProblemError` naming "X" or "Y" for empty, non-finite, mismatched or rank-zero data;
    ///   `LinearAlgebraError` if LAPACK fails.
    public init(x: Matrix, y: Matrix, rankTolerance: Double? = nil) throws {
        guard x.rows > 0, x.cols > 0 else { throw ProblemError.empty(field: "X") }
        guard y.cols > 0 else { throw ProblemError.empty(field: "Y") }
        guard y.rows == x.rows else {
            throw ProblemError.shapeMismatch(field: "Y", expected: "\(x.rows)×m (one row per row of X)",
                                             got: "\(y.rows)×\(y.cols)")
        }
        try ProblemError.requireFinite(x, field: "X")
        try ProblemError.requireFinite(y, field: "Y")

        let svd = try x.svd()
        let sMax = svd.singularValues.first ?? 0
        let tol = rankTolerance ?? sMax * Double(max(x.rows, x.cols)) * Double.ulpOfOne
        let r = svd.singularValues.filter { $0 > tol }.count
        guard r > 0 else { throw ProblemError.rankZero(field: "X") }

        let w = svd.u.columns(0..<r)
        let phi1 = svd.v.columns(0..<r)
        let s = Array(svd.singularValues[0..<r])
        let n = x.cols

        // Null-space basis: eigenvectors of Φ1Φ1ᵀ with eigenvalue 0 (the last n − r in decreasing order).
        let projector = phi1.times(phi1, transposeOther: true)
        let eig = try projector.symmetrized.symmetricEigen()
        let phi2 = eig.vectors.columns(r..<n)

        let yTilde = w.times(y, transposeSelf: true)
        var scaled = yTilde
        for i in 0..<r { for j in 0..<scaled.cols { scaled[i, j] /= s[i] } }
        let thetaHat = phi1 * scaled

        let residual = y - w * yTilde

        self.x = x
        self.y = y
        self.rank = r
        self.rankTolerance = tol
        self.w = w
        self.sigmaX = s.map { $0 * $0 }
        self.phi1 = phi1
        self.phi2 = phi2
        self.yTilde = yTilde
        self.thetaHat = thetaHat
        self.optimalLoss = 0.5 * residual.frobeniusNormSquared
    }

    /// L(Θ) = ½‖Y − XΘ‖_F² for an end-to-end matrix Θ (n×m).
    public func loss(theta: Matrix) -> Double {
        0.5 * (y - x * theta).frobeniusNormSquared
    }
}

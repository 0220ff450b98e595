import GFMCLinearAlgebra

/// The spectrum of the conserved imbalance D = U1ᵀU1 − VᵀV (h×h), computed from the (r+m)-sized reduced
/// problem (theory.md §3, §5).
///
/// The nonzero eigenvalues of D equal the nonzero eigenvalues of K_r J, with K_r = Z_r Z_rᵀ and
/// J = diag(I_r, −I_m) (D = Z_rᵀ J Z_r and K_r J = Z_r Z_rᵀ J share their nonzero spectrum). K_r J is not
/// symmetric, so they are computed as the eigenvalues of a symmetric matrix with the same nonzero spectrum:
/// Lᵀ J L with the Cholesky factor K_r = L Lᵀ when K_r is numerically positive definite (LAPACK dpotrf
/// succeeds; the usual case h ≥ r + m), otherwise K_r^{1/2} J K_r^{1/2} from the eigendecomposition of K_r
/// (both similar to K_r J when K_r is definite). Either way a backward-stable symmetric eigenproblem,
/// accurate to about ε·‖K_r‖₂ absolute.
///
/// Eigenvalues with |λ| ≤ `zeroTolerance` = 64·(r+m)·ε·‖K_r‖₂ are treated as exact zeros (they are rounding
/// noise of a zero eigenvalue). D has at most r positive and at most m negative eigenvalues (Sylvester's
/// law of inertia on Z_rᵀ J Z_r); its remaining eigenvalues are 0, which is how the paper's convention
/// "λ_i(A) = 0 beyond the size" and the case h < r + m (fewer eigenvalues than r + m) both come out.
public struct ImbalanceSpectrum: Sendable, Equatable {
    /// Eigenvalues of Lᵀ J L (or K_r^{1/2} J K_r^{1/2}), decreasing (r + m of them), before zero thresholding.
    public let eigenvalues: [Double]
    /// The positive eigenvalues of D, decreasing.
    public let positive: [Double]
    /// The magnitudes of the negative eigenvalues of D (the positive eigenvalues of −D), decreasing.
    public let negative: [Double]
    /// Absolute threshold below which an eigenvalue counts as zero.
    public let zeroTolerance: Double
    public let rank: Int
    public let outputDimension: Int

    /// - Parameters: `reducedGram` K_r ((r+m)×(r+m), symmetric positive semidefinite), `rank` r.
    public init(reducedGram k: Matrix, rank r: Int) throws {
        let (values, spectralNorm) = try Self.compute(reducedGram: k, rank: r, needsNorm: true)
        let p = k.rows
        let norm = spectralNorm ?? 0
        let tol = 64 * Double(max(p, 1)) * Double.ulpOfOne * max(norm, 0)
        eigenvalues = values
        positive = values.filter { $0 > tol }
        negative = values.filter { $0 < -tol }.map { -$0 }.sorted(by: >)
        zeroTolerance = tol
        rank = r
        outputDimension = p - r
    }

    /// The raw eigenvalues alone (`eigenvalues` of `init(reducedGram:rank:)`, bit for bit: the same
    /// factorization and eigen-solver calls), without ‖K_r‖₂, which only the zero threshold needs. For the drift
    /// check of a final state, where the threshold is not used; it saves one eigenvalue problem when K_r is
    /// positive definite.
    public static func rawEigenvalues(reducedGram k: Matrix, rank r: Int) throws -> [Double] {
        try compute(reducedGram: k, rank: r, needsNorm: false).values
    }

    /// The eigenvalues of Lᵀ J L (or K_r^{1/2} J K_r^{1/2}), decreasing, and ‖K_r‖₂ when `needsNorm` (or when it
    /// comes free with the eigendecomposition).
    private static func compute(reducedGram k: Matrix, rank r: Int, needsNorm: Bool) throws
        -> (values: [Double], norm: Double?) {
        precondition(k.isSquare && k.rows >= r, "K_r must be square with at least r rows")
        let p = k.rows
        let symmetric = k.symmetrized
        if let factor = try? symmetric.cholesky() {
            // K = L Lᵀ: Lᵀ J L = L_topᵀ L_top − L_botᵀ L_bot (rows of L split at r); ‖K‖₂ from K's eigenvalues.
            let norm = needsNorm ? try symmetric.symmetricEigenvalues().first ?? 0 : nil
            var signed = factor
            for j in 0..<p { for i in r..<p { signed[i, j] = -signed[i, j] } }   // J L
            return (try factor.times(signed, transposeSelf: true).symmetrized.symmetricEigenvalues(), norm)
        }
        // One eigendecomposition K = Q diag(κ) Qᵀ gives both K^{1/2} = Q diag(sqrt κ₊) Qᵀ and ‖K‖₂ = κ₁.
        let eigen = try symmetric.symmetricEigen()
        var scaledVectors = eigen.vectors
        for j in 0..<p {
            let s = max(eigen.values[j], 0).squareRoot()
            for i in 0..<p { scaledVectors[i, j] *= s }
        }
        let root = scaledVectors.times(eigen.vectors, transposeOther: true).symmetrized
        var scaled = root
        for j in r..<p { for i in 0..<p { scaled[i, j] = -scaled[i, j] } }   // K^{1/2} J
        return (try scaled.times(root).symmetrized.symmetricEigenvalues(), eigen.values.first ?? 0)
    }

    /// [λ_i(D)]₊ for 1-based i (0 beyond the positive eigenvalues).
    public func positivePart(_ i: Int) -> Double { i >= 1 && i <= positive.count ? positive[i - 1] : 0 }
    /// [λ_i(−D)]₊ for 1-based i.
    public func negativePart(_ i: Int) -> Double { i >= 1 && i <= negative.count ? negative[i - 1] : 0 }

    /// Δ+ = [λ1(D)]₊ − [λr(D)]₊.
    public var deltaPlus: Double { positivePart(1) - positivePart(rank) }
    /// Δ− = [λ1(−D)]₊ − [λm(−D)]₊.
    public var deltaMinus: Double { negativePart(1) - negativePart(outputDimension) }
    /// Δ̲ = [λr(D)]₊ + [λm(−D)]₊ (effective imbalance).
    public var effectiveImbalance: Double { positivePart(rank) + negativePart(outputDimension) }

    /// Relative drift between two spectra of the same size: max_i |λ_i(b) − λ_i(a)| / max_i |λ_i(a)|
    /// over the decreasing eigenvalues of K_r J (the raw `eigenvalues`). When `a` is all zero the absolute
    /// drift is returned. NaN when the sizes differ.
    public static func relativeDrift(from a: ImbalanceSpectrum, to b: ImbalanceSpectrum) -> Double {
        relativeDrift(from: a, toEigenvalues: b.eigenvalues)
    }

    /// `relativeDrift(from:to:)` against raw eigenvalues (`rawEigenvalues(reducedGram:rank:)`).
    public static func relativeDrift(from a: ImbalanceSpectrum, toEigenvalues b: [Double]) -> Double {
        guard a.eigenvalues.count == b.count else { return .nan }
        let scale = a.eigenvalues.map(abs).max() ?? 0
        let diff = zip(a.eigenvalues, b).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? diff / scale : diff
    }
}

import GFMCLinearAlgebra
import GFMCModel
import GFMCRandom

/// Explicit initial weights U(0) (n×h) and V(0) (m×h) for the `weights` and `gram` engines.
///
/// Randomness: U draws come from `RandomStream(seed, width: h, index, purpose: .initialU)` and V draws from
/// `.initialV`, each filled column-major by `fillStandardNormal` and scaled by σ. For `.invariantSet` the U
/// stream fills U1(0) (r×h) instead of U(0) (n×h).
public enum InitialWeights {
    /// Samples (or returns) U(0), V(0) for `trial` at the problem's dimensions.
    /// - Throws: `InitializationError` naming the field for invalid parameters, a width below 1, or explicit
    ///   matrices whose shapes do not fit the problem or the trial's width; LAPACK errors for `.balanced`.
    public static func make(_ spec: InitializationSpec, problem: Problem, studySeed: UInt64,
                            trial: TrialID) throws -> (u: Matrix, v: Matrix) {
        try spec.validate()
        let h = trial.width
        guard h >= 1 else { throw InitializationError.invalid(field: "width", reason: "must be at least 1, got \(h)") }
        guard trial.index >= 0 else { throw InitializationError.invalid(field: "index", reason: "must be ≥ 0, got \(trial.index)") }
        let n = problem.inputDimension, m = problem.outputDimension, r = problem.rank
        func gaussian(_ rows: Int, _ purpose: RandomPurpose, _ sigma: Double) -> Matrix {
            var s = RandomStream(seed: studySeed, width: h, index: trial.index, purpose: purpose)
            return s.fillStandardNormal(rows: rows, cols: h) * sigma
        }
        switch spec {
        case .widthScaled, .gaussian:
            let (su, sv) = spec.gaussianScale!.sigmas(width: h)
            return (gaussian(n, .initialU, su), gaussian(m, .initialV, sv))
        case .invariantSet(let scale):
            let (su, sv) = scale.sigmas(width: h)
            let u1 = gaussian(r, .initialU, su)
            return (problem.phi1 * u1, gaussian(m, .initialV, sv))
        case .balanced(let scale):
            let (su, sv) = scale.sigmas(width: h)
            return try balanced(endToEnd: gaussian(n, .initialU, su) * gaussian(m, .initialV, sv).transposed, width: h)
        case .explicit(let u0, let v0):
            guard u0.rows == n else {
                throw InitializationError.invalid(field: "U0", reason: "has \(u0.rows) rows, the input dimension n is \(n)")
            }
            guard v0.rows == m else {
                throw InitializationError.invalid(field: "V0", reason: "has \(v0.rows) rows, the output dimension m is \(m)")
            }
            guard u0.cols == h else {
                throw InitializationError.invalid(field: "width", reason: "is \(h) but U0 and V0 have \(u0.cols) columns")
            }
            return (u0, v0)
        }
    }

    /// A balanced factorization of the end-to-end matrix M (n×m) at width h: with the thin SVD
    /// M = P S Qᵀ and k = min(n, m, h), U = [P_k S_k^{1/2}, 0] (n×h) and V = [Q_k S_k^{1/2}, 0] (m×h).
    /// UVᵀ = M whenever rank(M) ≤ h (always true for M = U0V0ᵀ at width h), and UᵀU = VᵀV = diag(S_k, 0).
    public static func balanced(endToEnd M: Matrix, width h: Int) throws -> (u: Matrix, v: Matrix) {
        let svd = try M.svd()
        let k = min(svd.singularValues.count, h)
        var u = Matrix(rows: M.rows, cols: h), v = Matrix(rows: M.cols, cols: h)
        for j in 0..<k {
            let s = svd.singularValues[j].squareRoot()
            for i in 0..<M.rows { u[i, j] = svd.u[i, j] * s }
            for i in 0..<M.cols { v[i, j] = svd.v[i, j] * s }
        }
        return (u, v)
    }
}

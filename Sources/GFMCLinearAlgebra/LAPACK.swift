import COpenBLAS

/// Eigen-decomposition of a symmetric matrix: `A = Q diag(values) Qᵀ`.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in **decreasing** order (the paper's convention λ1 ≥ λ2 ≥ …).
    public let values: [Double]
    /// Orthonormal eigenvectors as columns, in the same order as `values`.
    public let vectors: Matrix
}

/// Thin singular value decomposition `A = U diag(singularValues) Vᵀ`, k = min(rows, cols).
public struct SingularValueDecomposition: Sendable {
    /// rows×k, orthonormal columns.
    public let u: Matrix
    /// Singular values, decreasing, all ≥ 0.
    public let singularValues: [Double]
    /// cols×k, orthonormal columns (V, not Vᵀ).
    public let v: Matrix
}

extension Matrix {
    /// Symmetric eigen-decomposition by LAPACK dsyevd (divide and conquer), using the lower triangle.
    /// Accuracy: backward stable; eigenvalue errors are O(ε‖A‖₂).
    /// - Throws: `LinearAlgebraError` when dsyevd does not converge.
    public func symmetricEigen(vectors wantVectors: Bool = true) throws -> SymmetricEigen {
        precondition(isSquare, "symmetricEigen needs a square matrix, got \(rows)×\(cols)")
        let n = rows
        if n == 0 { return SymmetricEigen(values: [], vectors: Matrix(rows: 0, cols: 0)) }
        var a = storage
        var w = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            w.withUnsafeMutableBufferPointer { pw in
                LAPACKE_dsyevd(LAPACK_COL_MAJOR, wantVectors ? 86 /* V */ : 78 /* N */, 76 /* L */,
                               Int32(n), pa.baseAddress, Int32(n), pw.baseAddress)
            }
        }
        try LinearAlgebraError.check(info, "dsyevd", "the eigen-solver did not converge")
        // LAPACK returns ascending order; the paper (and this API) use decreasing order.
        let values = Array(w.reversed())
        var q = Matrix(rows: n, cols: wantVectors ? n : 0)
        if wantVectors {
            for j in 0..<n {
                let src = n - 1 - j
                for i in 0..<n { q[i, j] = a[i + src * n] }
            }
        }
        return SymmetricEigen(values: values, vectors: q)
    }

    /// Eigenvalues of a symmetric matrix, decreasing.
    public func symmetricEigenvalues() throws -> [Double] { try symmetricEigen(vectors: false).values }

    /// Thin SVD by LAPACK dgesdd. Accuracy: backward stable, singular values to O(ε‖A‖₂).
    /// - Throws: `LinearAlgebraError` when dgesdd does not converge.
    public func svd() throws -> SingularValueDecomposition {
        let m = rows, n = cols, k = min(rows, cols)
        if k == 0 {
            return SingularValueDecomposition(u: Matrix(rows: m, cols: 0), singularValues: [],
                                              v: Matrix(rows: n, cols: 0))
        }
        var a = storage
        var s = [Double](repeating: 0, count: k)
        var u = Matrix(rows: m, cols: k)
        var vt = Matrix(rows: k, cols: n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                u.storage.withUnsafeMutableBufferPointer { pu in
                    vt.storage.withUnsafeMutableBufferPointer { pvt in
                        LAPACKE_dgesdd(LAPACK_COL_MAJOR, 83 /* S */, Int32(m), Int32(n),
                                       pa.baseAddress, Int32(m), ps.baseAddress,
                                       pu.baseAddress, Int32(m), pvt.baseAddress, Int32(k))
                    }
                }
            }
        }
        try LinearAlgebraError.check(info, "dgesdd", "the SVD did not converge")
        return SingularValueDecomposition(u: u, singularValues: s, v: vt.transposed)
    }

    /// Singular values, decreasing (LAPACK dgesdd without vectors).
    public func singularValues() throws -> [Double] {
        let k = min(rows, cols)
        if k == 0 { return [] }
        var a = storage
        var s = [Double](repeating: 0, count: k)
        var dummy = [Double](repeating: 0, count: 1)
        let info = a.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                dummy.withUnsafeMutableBufferPointer { pd in
                    LAPACKE_dgesdd(LAPACK_COL_MAJOR, 78 /* N */, Int32(rows), Int32(cols),
                                   pa.baseAddress, Int32(rows), ps.baseAddress,
                                   pd.baseAddress, 1, pd.baseAddress, 1)
                }
            }
        }
        try LinearAlgebraError.check(info, "dgesdd", "the SVD did not converge")
        return s
    }

    /// Operator (spectral) norm ‖A‖₂ = σ₁(A); 0 for an empty matrix.
    public func operatorNorm() throws -> Double { try singularValues().first ?? 0 }

    /// Solves `self · X = b` for square `self` by LU with partial pivoting (LAPACK dgesv).
    /// - Throws: `LinearAlgebraError` (info > 0) when `self` is exactly singular.
    public func solve(_ b: Matrix) throws -> Matrix {
        precondition(isSquare && b.rows == rows, "solve: \(rows)×\(cols) with right-hand side \(b.rows)×\(b.cols)")
        let n = rows
        if n == 0 || b.cols == 0 { return b }
        var a = storage
        var x = b
        var pivots = [Int32](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            pivots.withUnsafeMutableBufferPointer { pp in
                x.storage.withUnsafeMutableBufferPointer { px in
                    LAPACKE_dgesv(LAPACK_COL_MAJOR, Int32(n), Int32(b.cols), pa.baseAddress,
                                  Int32(n), pp.baseAddress, px.baseAddress, Int32(n))
                }
            }
        }
        try LinearAlgebraError.check(info, "dgesv", "the matrix is singular (U(\(info),\(info)) is exactly zero)")
        return x
    }

    /// Lower Cholesky factor L with `self = L Lᵀ` (LAPACK dpotrf), for symmetric positive definite `self`.
    /// - Throws: `LinearAlgebraError` (info > 0) when `self` is not positive definite.
    public func cholesky() throws -> Matrix {
        precondition(isSquare, "cholesky needs a square matrix")
        let n = rows
        if n == 0 { return self }
        var a = storage
        let info = a.withUnsafeMutableBufferPointer { pa in
            LAPACKE_dpotrf(LAPACK_COL_MAJOR, 76 /* L */, Int32(n), pa.baseAddress, Int32(n))
        }
        try LinearAlgebraError.check(info, "dpotrf", "the matrix is not positive definite (leading minor \(info))")
        var l = Matrix(rows: n, cols: n, columnMajor: a)
        for j in 0..<n { for i in 0..<j { l[i, j] = 0 } }
        return l
    }

    /// `f(A) = Q diag(f(λ)) Qᵀ` for a symmetric matrix (e.g. square root, exponential).
    /// The input is symmetrized first. Accuracy follows the eigen-decomposition.
    public func symmetricFunction(_ f: (Double) -> Double) throws -> Matrix {
        let eig = try symmetrized.symmetricEigen()
        let n = rows
        var scaled = eig.vectors
        for j in 0..<n {
            let fj = f(eig.values[j])
            for i in 0..<n { scaled[i, j] *= fj }
        }
        return scaled.times(eig.vectors, transposeOther: true)
    }

    /// Principal square root of a symmetric positive semidefinite matrix; eigenvalues below zero
    /// (rounding) are clamped to zero.
    public func symmetricSquareRoot() throws -> Matrix { try symmetricFunction { $0 > 0 ? $0.squareRoot() : 0 } }
}

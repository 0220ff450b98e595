import GFMCLinearAlgebra

/// Wishart sampling by the Bartlett decomposition.
extension RandomStream {
    /// The Bartlett factor `L = D^{1/2} A` of a Wishart_p(h, D) draw, `D = diag(scaleDiagonal)`, so that
    /// `L Lᵀ ~ Wishart_p(h, D)`: the law of `Z Zᵀ` for Z a p×h matrix whose row i has independent N(0, d_i)
    /// entries (theory.md §5.1).
    ///
    /// A is lower triangular with `A_ii = sqrt(χ²_{h−i})` (0-based i) and `A_ij ~ N(0, 1)` for i > j.
    /// Draw order (part of the reproducibility contract): first the p chi-squares for i = 0, 1, …, p−1 by
    /// `nextChiSquare`, then the p(p−1)/2 normals by `standardNormals(count:)`, assigned column by column
    /// (j = 0…p−2, and within a column i = j+1…p−1).
    ///
    /// Cost O(p²) plus the chi-square draws, independent of h (h = 10¹² costs the same as h = p).
    /// `degreesOfFreedom` h may be any real number > p − 1 (for integer h this is h ≥ p); `scaleDiagonal`
    /// must have p entries, each finite and ≥ 0. Traps on violations (validate where input enters).
    public mutating func wishartBartlettFactor(dimension p: Int, degreesOfFreedom h: Double,
                                               scaleDiagonal: [Double]) -> Matrix {
        precondition(p >= 0, "Wishart dimension \(p) must be >= 0")
        precondition(h.isFinite && h > Double(p - 1),
                     "Wishart degrees of freedom \(h) must be finite and > dimension − 1 = \(p - 1)")
        precondition(scaleDiagonal.count == p,
                     "Wishart scaleDiagonal has \(scaleDiagonal.count) entries, dimension is \(p)")
        precondition(scaleDiagonal.allSatisfy { $0.isFinite && $0 >= 0 },
                     "Wishart scaleDiagonal entries must be finite and >= 0: \(scaleDiagonal)")
        var factor = Matrix(rows: p, cols: p)
        for i in 0..<p {
            factor[i, i] = nextChiSquare(degreesOfFreedom: h - Double(i)).squareRoot()
        }
        let normals = standardNormals(count: p * (p - 1) / 2)
        var next = 0
        for j in 0..<p {
            for i in (j + 1)..<p {
                factor[i, j] = normals[next]
                next += 1
            }
        }
        let scale = scaleDiagonal.map { $0.squareRoot() }
        for j in 0..<p {
            for i in j..<p { factor[i, j] *= scale[i] }
        }
        return factor
    }

    /// Integer-h convenience for `wishartBartlettFactor(dimension:degreesOfFreedom:scaleDiagonal:)`.
    public mutating func wishartBartlettFactor(dimension p: Int, degreesOfFreedom h: Int,
                                               scaleDiagonal: [Double]) -> Matrix {
        wishartBartlettFactor(dimension: p, degreesOfFreedom: Double(h), scaleDiagonal: scaleDiagonal)
    }

    /// A Wishart_p(h, diag(scaleDiagonal)) draw `K = D^{1/2} A Aᵀ D^{1/2} = L Lᵀ` with L from
    /// `wishartBartlettFactor` (same draws, same contract). Exactly symmetric. Mean `h · D`;
    /// `Var K_ij = h d_i d_j` for i ≠ j and `2 h d_i²` on the diagonal.
    public mutating func wishartBartlett(dimension p: Int, degreesOfFreedom h: Double,
                                         scaleDiagonal: [Double]) -> Matrix {
        let factor = wishartBartlettFactor(dimension: p, degreesOfFreedom: h, scaleDiagonal: scaleDiagonal)
        return Self.gram(lowerTriangular: factor)
    }

    /// Integer-h convenience for `wishartBartlett(dimension:degreesOfFreedom:scaleDiagonal:)`.
    public mutating func wishartBartlett(dimension p: Int, degreesOfFreedom h: Int,
                                         scaleDiagonal: [Double]) -> Matrix {
        wishartBartlett(dimension: p, degreesOfFreedom: Double(h), scaleDiagonal: scaleDiagonal)
    }

    /// `L Lᵀ` for lower-triangular L, computed entry by entry over the nonzero range and mirrored,
    /// so the result is exactly symmetric.
    static func gram(lowerTriangular factor: Matrix) -> Matrix {
        let p = factor.rows
        var result = Matrix(rows: p, cols: p)
        for j in 0..<p {
            for i in j..<p {
                var sum = 0.0
                for k in 0...j { sum += factor[i, k] * factor[j, k] }
                result[i, j] = sum
                result[j, i] = sum
            }
        }
        return result
    }
}

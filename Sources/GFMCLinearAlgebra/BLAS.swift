import COpenBLAS

/// Thin wrappers over CBLAS level-3/level-1 routines on `Matrix` (column-major).
extension Matrix {
    /// `op(self) · op(other)`, where op is the transpose when the flag is set (BLAS dgemm).
    public func times(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        let m = transposeSelf ? cols : rows
        let n = transposeOther ? other.rows : other.cols
        var c = Matrix(rows: m, cols: n)
        Matrix.gemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: &c)
        return c
    }

    /// `c ← alpha · op(a) · op(b) + beta · c` (BLAS dgemm), writing into an existing workspace.
    /// Shapes are checked with a precondition. Cost O(m·n·k).
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
                            alpha: Double = 1, beta: Double = 0, into c: inout Matrix) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "gemm: inner dimensions \(k) vs \(kb)")
        precondition(c.rows == m && c.cols == n, "gemm: output \(c.rows)×\(c.cols), expected \(m)×\(n)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            for idx in 0..<c.storage.count { c.storage[idx] *= beta }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasColMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), alpha,
                                pa.baseAddress, blasint(max(1, a.rows)),
                                pb.baseAddress, blasint(max(1, b.rows)), beta,
                                pc.baseAddress, blasint(max(1, c.rows)))
                }
            }
        }
    }

    /// `self ← self + alpha · x` (BLAS daxpy on the storage). Shapes must match.
    public mutating func add(_ x: Matrix, scaledBy alpha: Double) {
        precondition(rows == x.rows && cols == x.cols, "axpy: shape mismatch")
        let count = storage.count
        if count == 0 { return }
        x.storage.withUnsafeBufferPointer { px in
            storage.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(blasint(count), alpha, px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }

    /// Frobenius norm, computed by BLAS dnrm2 (scaled, so no overflow for large entries).
    public var frobeniusNorm: Double {
        if storage.isEmpty { return 0 }
        return storage.withUnsafeBufferPointer { cblas_dnrm2(blasint($0.count), $0.baseAddress, 1) }
    }

    /// Sum of squared entries, ‖A‖_F².
    public var frobeniusNormSquared: Double { storage.reduce(0) { $0 + $1 * $1 } }

    /// Frobenius inner product ⟨A, B⟩ = tr(AᵀB).
    public func dot(_ other: Matrix) -> Double {
        precondition(rows == other.rows && cols == other.cols, "dot: shape mismatch")
        if storage.isEmpty { return 0 }
        return storage.withUnsafeBufferPointer { pa in
            other.storage.withUnsafeBufferPointer { pb in
                cblas_ddot(blasint(pa.count), pa.baseAddress, 1, pb.baseAddress, 1)
            }
        }
    }
}

/// Controls OpenBLAS's own thread pool. With several engine threads or worker processes per machine,
/// pin it to one thread each (as Dask does) so they do not oversubscribe the cores.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}

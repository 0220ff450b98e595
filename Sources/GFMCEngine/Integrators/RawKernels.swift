import GFMCLinearAlgebra
import COpenBLAS

/// A fixed-size block of doubles owned by one integration (allocated once, freed on deinit).
/// Not `Sendable`: one integration, one thread.
final class RawBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Double>

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of a matrix's column-major storage.
    convenience init(copying storage: [Double]) {
        self.init(count: storage.count)
        storage.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: storage.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Copies `storage` into the buffer starting at `offset`.
    func load(_ storage: [Double], at offset: Int) {
        precondition(offset + storage.count <= count, "RawBuffer.load out of range")
        storage.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { (pointer + offset).update(from: base, count: storage.count) }
        }
    }

    /// The entries `offset ..< offset + rows·cols` as a rows×cols column-major matrix.
    func matrix(rows: Int, cols: Int, at offset: Int = 0) -> Matrix {
        precondition(offset + rows * cols <= count, "RawBuffer.matrix out of range")
        return Matrix(rows: rows, cols: cols,
                      columnMajor: Array(UnsafeBufferPointer(start: pointer + offset, count: rows * cols)))
    }
}

/// `c ← alpha · op(a) · op(b) + beta · c` on raw column-major blocks with explicit leading dimensions
/// (so sub-blocks of a larger matrix can be addressed in place). op(a) is m×k, op(b) is k×n, c is m×n.
@inline(__always)
func rawGemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
             _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
             beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for j in 0..<n { for i in 0..<m { c[i + j * ldc] *= beta } }
        return
    }
    cblas_dgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(max(1, lda)), b, blasint(max(1, ldb)),
                beta, c, blasint(max(1, ldc)))
}

/// Σ x_i² over `count` entries.
@inline(__always)
func rawSumOfSquares(_ x: UnsafePointer<Double>, count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { s += x[i] * x[i] }
    return s
}

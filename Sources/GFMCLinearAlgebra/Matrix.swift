/// A dense real matrix stored in column-major order (the order BLAS and LAPACK use).
///
/// Element (i, j) lives at `storage[i + j * rows]`. Value semantics (copy-on-write through `Array`).
/// Shapes with zero rows or columns are allowed; every operation checks shapes with a precondition,
/// because a shape mismatch inside the engine is a programming error, not bad input (input is validated
/// where it enters, see `GFMCEngine.Problem`).
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    public let rows: Int
    public let cols: Int
    public var storage: [Double]

    /// A rows×cols matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "negative matrix shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = Array(repeating: value, count: rows * cols)
    }

    /// Wraps column-major storage. `storage.count` must equal `rows * cols`.
    public init(rows: Int, cols: Int, columnMajor storage: [Double]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) entries, shape needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Builds a matrix from an array of rows (the JSON / CSV layout). All rows must have the same length;
    /// an empty array gives a 0×0 matrix.
    public init(rowArrays: [[Double]]) {
        let rows = rowArrays.count
        let cols = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == cols }, "ragged rows")
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<rows { for j in 0..<cols { m.storage[i + j * rows] = rowArrays[i][j] } }
        self = m
    }

    /// Builds a rows×cols matrix from `entry(i, j)`.
    public init(rows: Int, cols: Int, entry: (Int, Int) -> Double) {
        var m = Matrix(rows: rows, cols: cols)
        for j in 0..<cols { for i in 0..<rows { m.storage[i + j * rows] = entry(i, j) } }
        self = m
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i + i * n] = 1 }
        return m
    }

    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(rows: d.count, cols: d.count)
        for i in 0..<d.count { m.storage[i + i * d.count] = d[i] }
        return m
    }

    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// The matrix as an array of rows (the JSON / CSV layout).
    public var rowArrays: [[Double]] {
        (0..<rows).map { i in (0..<cols).map { j in self[i, j] } }
    }

    public var isSquare: Bool { rows == cols }
    public var shape: (rows: Int, cols: Int) { (rows, cols) }
    public var transposed: Matrix {
        Matrix(rows: cols, cols: rows) { i, j in self[j, i] }
    }

    /// The diagonal entries (min(rows, cols) of them).
    public var diagonalEntries: [Double] { (0..<min(rows, cols)).map { self[$0, $0] } }
    public var trace: Double { diagonalEntries.reduce(0, +) }

    /// True when every entry is finite (no NaN, no ±infinity).
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// Rows `rowRange` and columns `colRange` as a new matrix.
    public func block(rows rowRange: Range<Int>, cols colRange: Range<Int>) -> Matrix {
        precondition(rowRange.lowerBound >= 0 && rowRange.upperBound <= rows, "row range out of bounds")
        precondition(colRange.lowerBound >= 0 && colRange.upperBound <= cols, "column range out of bounds")
        return Matrix(rows: rowRange.count, cols: colRange.count) { i, j in
            self[rowRange.lowerBound + i, colRange.lowerBound + j]
        }
    }

    /// Writes `other` into this matrix with its (0, 0) entry at (row, col).
    public mutating func setBlock(_ other: Matrix, row: Int, col: Int) {
        precondition(row + other.rows <= rows && col + other.cols <= cols, "block does not fit")
        for j in 0..<other.cols { for i in 0..<other.rows { self[row + i, col + j] = other[i, j] } }
    }

    /// Stacks `top` above `bottom` (equal column counts).
    public static func vstack(_ top: Matrix, _ bottom: Matrix) -> Matrix {
        precondition(top.cols == bottom.cols, "vstack: \(top.cols) vs \(bottom.cols) columns")
        var m = Matrix(rows: top.rows + bottom.rows, cols: top.cols)
        m.setBlock(top, row: 0, col: 0)
        m.setBlock(bottom, row: top.rows, col: 0)
        return m
    }

    /// Places `left` beside `right` (equal row counts).
    public static func hstack(_ left: Matrix, _ right: Matrix) -> Matrix {
        precondition(left.rows == right.rows, "hstack: \(left.rows) vs \(right.rows) rows")
        return Matrix(rows: left.rows, cols: left.cols + right.cols, columnMajor: left.storage + right.storage)
    }

    /// Columns `range` (cheap: columns are contiguous).
    public func columns(_ range: Range<Int>) -> Matrix {
        Matrix(rows: rows, cols: range.count,
               columnMajor: Array(storage[(range.lowerBound * rows)..<(range.upperBound * rows)]))
    }

    public var description: String {
        rowArrays.map { $0.map { String($0) }.joined(separator: " ") }.joined(separator: "\n")
    }
}

// MARK: - Element-wise arithmetic

extension Matrix {
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "+: shape \(a.rows)×\(a.cols) vs \(b.rows)×\(b.cols)")
        var c = a
        for k in 0..<c.storage.count { c.storage[k] += b.storage[k] }
        return c
    }

    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols, "-: shape \(a.rows)×\(a.cols) vs \(b.rows)×\(b.cols)")
        var c = a
        for k in 0..<c.storage.count { c.storage[k] -= b.storage[k] }
        return c
    }

    public static prefix func - (a: Matrix) -> Matrix { a * -1 }

    public static func * (a: Matrix, s: Double) -> Matrix {
        var c = a
        for k in 0..<c.storage.count { c.storage[k] *= s }
        return c
    }

    public static func * (s: Double, a: Matrix) -> Matrix { a * s }

    public static func += (a: inout Matrix, b: Matrix) { a = a + b }
    public static func -= (a: inout Matrix, b: Matrix) { a = a - b }

    /// Matrix product (BLAS dgemm).
    public static func * (a: Matrix, b: Matrix) -> Matrix { a.times(b) }

    /// (A + Aᵀ)/2: removes rounding asymmetry before a symmetric eigen-decomposition.
    public var symmetrized: Matrix {
        precondition(isSquare, "symmetrized needs a square matrix")
        return Matrix(rows: rows, cols: cols) { i, j in 0.5 * (self[i, j] + self[j, i]) }
    }

    /// Largest absolute entry (0 for an empty matrix).
    public var maxAbs: Double { storage.reduce(0) { max($0, abs($1)) } }
}

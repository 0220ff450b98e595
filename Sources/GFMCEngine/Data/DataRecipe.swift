import GFMCLinearAlgebra
import GFMCRandom

/// Synthetic data sets of the paper's experiments (theory.md §7), generated from a data seed.
///
/// Randomness: every draw comes from `RandomStream(seed: dataSeed, width: 0, index: k, purpose: .data)`,
/// with one stream per component so the components are independent and each is reproducible alone:
/// k = 0 for X (or X0 for `whitened`), k = 1 for Θ, k = 2 for the noise ε, k = 3 for the factorization's Y.
/// Matrices are filled in column-major order (`fillStandardNormal`). The data never depend on the trial.
public enum DataRecipe: Sendable, Equatable {
    /// N samples, input dimension n, output dimension m. X has i.i.d. N(0, xVariance) entries
    /// (default 1/n, the wide-network experiment §7.3), Θ has i.i.d. N(0, 1/n) entries (Θ ~ N(0, I/n)),
    /// ε has i.i.d. N(0, noise²) entries, and Y = XΘ + ε.
    case gaussian(samples: Int, inputDimension: Int, outputDimension: Int, noise: Double, xVariance: Double? = nil)
    /// §7.2: X0 (N×n) with N(0, 1) entries, thin SVD X0 = W Σ Φ1ᵀ, X = W Φ1ᵀ (all nonzero singular values 1,
    /// so Σx = I: "whitened"); Θ, ε and Y as for `gaussian`.
    case whitened(samples: Int, inputDimension: Int, outputDimension: Int, noise: Double)
    /// §7.1, matrix factorization ½‖Y − (1/sqrt(m h)) U Vᵀ‖²: X = I_n / sqrt(m·h) (n×n, so it depends on the
    /// width h), Y (n×m) with i.i.d. N(0, yVariance) entries (default 0.1, a variance), the same for every h.
    case factorization(inputDimension: Int, outputDimension: Int, yVariance: Double = 0.1)

    /// True when X depends on the hidden width (`factorization`): build one `Problem` per width.
    public var dependsOnWidth: Bool {
        if case .factorization = self { return true }
        return false
    }

    /// The generated data, with the planted Θ where the recipe has one.
    public struct Output: Sendable {
        public var x: Matrix
        public var y: Matrix
        /// The planted Θ (n×m) for `gaussian` and `whitened`; nil for `factorization`.
        public var theta: Matrix?
    }

    /// Generates (X, Y). `width` is required (≥ 1) for `factorization` and ignored otherwise.
    /// - Throws: `ProblemError.invalid` naming the field (`samples`, `inputDimension`, `outputDimension`,
    ///   `noise`, `xVariance`, `yVariance`, `width`) for out-of-range parameters; LAPACK errors (whitening SVD).
    public func generate(seed: UInt64, width: Int? = nil) throws -> Output {
        func stream(_ k: Int) -> RandomStream { RandomStream(seed: seed, width: 0, index: k, purpose: .data) }
        func positive(_ v: Int, _ field: String) throws {
            guard v >= 1 else { throw ProblemError.invalid(field: field, reason: "must be at least 1, got \(v)") }
        }
        func nonNegative(_ v: Double, _ field: String) throws {
            guard v.isFinite, v >= 0 else { throw ProblemError.invalid(field: field, reason: "must be finite and ≥ 0, got \(v)") }
        }
        switch self {
        case .gaussian(let samples, let n, let m, let noise, let xVariance):
            try positive(samples, "samples"); try positive(n, "inputDimension"); try positive(m, "outputDimension")
            try nonNegative(noise, "noise")
            let variance = xVariance ?? 1 / Double(n)
            guard variance.isFinite, variance > 0 else {
                throw ProblemError.invalid(field: "xVariance", reason: "must be finite and > 0, got \(variance)")
            }
            var sx = stream(0)
            let x = sx.fillStandardNormal(rows: samples, cols: n) * variance.squareRoot()
            return Self.planted(x: x, outputDimension: m, noise: noise, stream: stream)
        case .whitened(let samples, let n, let m, let noise):
            try positive(samples, "samples"); try positive(n, "inputDimension"); try positive(m, "outputDimension")
            try nonNegative(noise, "noise")
            var sx = stream(0)
            let x0 = sx.fillStandardNormal(rows: samples, cols: n)
            let svd = try x0.svd()
            let x = svd.u.times(svd.v, transposeOther: true)   // W Φ1ᵀ (thin: min(N, n) columns)
            return Self.planted(x: x, outputDimension: m, noise: noise, stream: stream)
        case .factorization(let n, let m, let yVariance):
            try positive(n, "inputDimension"); try positive(m, "outputDimension")
            guard let width else { throw ProblemError.invalid(field: "width", reason: "the factorization recipe needs the hidden width") }
            try positive(width, "width")
            guard yVariance.isFinite, yVariance > 0 else {
                throw ProblemError.invalid(field: "yVariance", reason: "must be finite and > 0, got \(yVariance)")
            }
            let x = Matrix.identity(n) * (1 / (Double(m) * Double(width)).squareRoot())
            var sy = stream(3)
            let y = sy.fillStandardNormal(rows: n, cols: m) * yVariance.squareRoot()
            return Output(x: x, y: y, theta: nil)
        }
    }

    /// The validated `Problem` for this recipe (at `width` for `factorization`).
    public func problem(seed: UInt64, width: Int? = nil, rankTolerance: Double? = nil) throws -> Problem {
        let data = try generate(seed: seed, width: width)
        return try Problem(x: data.x, y: data.y, rankTolerance: rankTolerance)
    }

    private static func planted(x: Matrix, outputDimension m: Int, noise: Double,
                                stream: (Int) -> RandomStream) -> Output {
        let n = x.cols
        var st = stream(1)
        let theta = st.fillStandardNormal(rows: n, cols: m) * (1 / Double(n).squareRoot())
        var se = stream(2)
        let epsilon = se.fillStandardNormal(rows: x.rows, cols: m) * noise
        return Output(x: x, y: x * theta + epsilon, theta: theta)
    }
}

import GFMCLinearAlgebra
import GFMCModel
import GFMCRandom

/// The initial state in reduced space (theory.md §5): everything the dynamics and the trial's reported
/// quantities need from U(0), V(0), at a size independent of the width h.
///
/// * `gram` = K_r(0) = Z_r Z_rᵀ with Z_r = [U1(0); V(0)] = [Φ1ᵀU(0); V(0)], (r+m)×(r+m).
/// * `nullSpaceCoupling` = C(0) = U2(0) Z_r(0)ᵀ = [U2U1ᵀ, U2Vᵀ], (n−r)×(r+m), with U2(0) = Φ2ᵀU(0).
///   Its V-block (columns r..<r+m) is U2(0)V(0)ᵀ; ‖C(0)‖_F is Lemma 11 (34)'s quantity.
public struct ReducedInitialState: Sendable, Equatable {
    public var gram: Matrix
    public var nullSpaceCoupling: Matrix
    /// Rank r of X and output dimension m (the block sizes).
    public var rank: Int
    public var outputDimension: Int

    public init(gram: Matrix, nullSpaceCoupling: Matrix, rank: Int, outputDimension: Int) {
        precondition(gram.rows == rank + outputDimension && gram.cols == gram.rows, "K_r must be (r+m)×(r+m)")
        precondition(nullSpaceCoupling.cols == gram.rows, "C must have r+m columns")
        self.gram = gram
        self.nullSpaceCoupling = nullSpaceCoupling
        self.rank = rank
        self.outputDimension = outputDimension
    }

    /// Z_r(0) = [Φ1ᵀU0; V0] ((r+m)×h) of explicit weights.
    public static func reducedFactor(problem: Problem, u0: Matrix, v0: Matrix) -> Matrix {
        Matrix.vstack(problem.phi1.times(u0, transposeSelf: true), v0)
    }

    /// The exact reduced state of explicit weights (cost O((n + m)·(r + m)·h)).
    public init(problem: Problem, u0: Matrix, v0: Matrix) {
        let zr = Self.reducedFactor(problem: problem, u0: u0, v0: v0)
        let u2 = problem.phi2.times(u0, transposeSelf: true)
        self.init(gram: zr.times(zr, transposeOther: true).symmetrized,
                  nullSpaceCoupling: u2.times(zr, transposeOther: true),
                  rank: problem.rank, outputDimension: problem.outputDimension)
    }

    /// U1(0)V(0)ᵀ = the upper-right r×m block of K_r(0).
    public var endToEndReduced: Matrix { gram.block(rows: 0..<rank, cols: rank..<(rank + outputDimension)) }
    /// U2(0)V(0)ᵀ = the V-block of C(0), (n−r)×m.
    public var nullSpaceEndToEnd: Matrix {
        nullSpaceCoupling.block(rows: 0..<nullSpaceCoupling.rows, cols: rank..<(rank + outputDimension))
    }

    /// Draws (K_r(0), C(0)) directly in distribution for i.i.d. Gaussian U(0) (σ_U) and V(0) (σ_V)
    /// (theory.md §5.1), or for the invariant set (`nullSpaceIsZero`: U2(0) = 0, so C(0) = 0).
    ///
    /// * h ≥ r + m: K_r(0) = L Lᵀ with L the Bartlett factor of Wishart_{r+m}(h, diag(σ_U² I_r, σ_V² I_m)),
    ///   from `RandomStream(seed, h, index, .reducedState)`; cost independent of h.
    ///   C(0) = σ_U G Lᵀ with G ((n−r)×(r+m)) standard normal from `.nullSpace`: its rows are i.i.d.
    ///   N(0, σ_U² K_r(0)), the exact conditional law of U2(0)Z_r(0)ᵀ given Z_r(0) (any factor F with
    ///   F Fᵀ = K_r(0) gives the same law; L avoids a matrix square root).
    /// * h < r + m: Z_r(0) ((r+m)×h) is drawn explicitly from `.reducedState` (rows scaled by σ_U, σ_V) and
    ///   U2(0) ((n−r)×h) from `.nullSpace`; K_r = Z_r Z_rᵀ and C = U2 Z_rᵀ.
    /// These draws differ from the explicit U(0), V(0) of the same trial (other purposes): the law is the
    /// same, the individual trial is not.
    public static func sample(problem: Problem, sigmaU: Double, sigmaV: Double, nullSpaceIsZero: Bool,
                              studySeed: UInt64, trial: TrialID) -> ReducedInitialState {
        let r = problem.rank, m = problem.outputDimension, n = problem.inputDimension
        let p = r + m, h = trial.width
        precondition(h >= 1, "width must be at least 1")
        var reduced = RandomStream(seed: studySeed, width: h, index: trial.index, purpose: .reducedState)
        var null = RandomStream(seed: studySeed, width: h, index: trial.index, purpose: .nullSpace)
        let scale = Array(repeating: sigmaU * sigmaU, count: r) + Array(repeating: sigmaV * sigmaV, count: m)
        if h >= p {
            let factor = reduced.wishartBartlettFactor(dimension: p, degreesOfFreedom: h, scaleDiagonal: scale)
            let gram = factor.times(factor, transposeOther: true).symmetrized
            let coupling: Matrix
            if nullSpaceIsZero || n == r {
                coupling = Matrix(rows: n - r, cols: p)
            } else {
                let g = null.fillStandardNormal(rows: n - r, cols: p)
                coupling = g.times(factor, transposeOther: true) * sigmaU
            }
            return ReducedInitialState(gram: gram, nullSpaceCoupling: coupling, rank: r, outputDimension: m)
        }
        var zr = reduced.fillStandardNormal(rows: p, cols: h)
        for j in 0..<h { for i in 0..<p { zr[i, j] *= (i < r ? sigmaU : sigmaV) } }
        let gram = zr.times(zr, transposeOther: true).symmetrized
        let coupling: Matrix
        if nullSpaceIsZero || n == r {
            coupling = Matrix(rows: n - r, cols: p)
        } else {
            let u2 = null.fillStandardNormal(rows: n - r, cols: h) * sigmaU
            coupling = u2.times(zr, transposeOther: true)
        }
        return ReducedInitialState(gram: gram, nullSpaceCoupling: coupling, rank: r, outputDimension: m)
    }
}

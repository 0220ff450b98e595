import Foundation
import GFMCLinearAlgebra
import GFMCModel

/// Constants of a problem that the paper's quantities use, computed once per problem.
public struct ProblemConstants: Sendable, Equatable {
    /// Singular values of Ỹ = WᵀY (r×m), decreasing (min(r, m) of them).
    public let yTildeSingularValues: [Double]
    /// σm(Ỹ) and σr(Ỹ) (the m-th and r-th singular values; 0 when the index exceeds min(r, m)).
    public let sigmaMOfYTilde: Double
    public let sigmaROfYTilde: Double
    /// λ1(Σx) and λr(Σx).
    public let lambdaMaxSigmaX: Double
    public let lambdaMinSigmaX: Double
    /// ‖Y‖_F.
    public let yFrobenius: Double
    public let rank: Int
    public let inputDimension: Int
    public let outputDimension: Int
    /// Θ̂ᵀΘ̂ (m×m), used by the leading-order prediction.
    public let thetaHatGram: Matrix

    public init(problem: Problem) throws {
        let sv = try problem.yTilde.singularValues()
        let r = problem.rank, m = problem.outputDimension
        yTildeSingularValues = sv
        sigmaMOfYTilde = m <= sv.count ? sv[m - 1] : 0
        sigmaROfYTilde = r <= sv.count ? sv[r - 1] : 0
        lambdaMaxSigmaX = problem.sigmaXMax
        lambdaMinSigmaX = problem.sigmaXMin
        yFrobenius = problem.y.frobeniusNorm
        rank = r
        inputDimension = problem.inputDimension
        outputDimension = m
        thetaHatGram = problem.thetaHat.times(problem.thetaHat, transposeSelf: true).symmetrized
    }
}

/// The convergence-rate constant c(t) of Theorem 3 (theory.md §3).
public enum RateConstant {
    /// The reduced residual E = Ỹ − Σx^{1/2} U1Vᵀ (r×m), with U1Vᵀ the upper-right block of K_r.
    public static func reducedResidual(problem: Problem, reducedGram k: Matrix) -> Matrix {
        let r = problem.rank, m = problem.outputDimension
        var e = problem.yTilde
        for j in 0..<m { for i in 0..<r { e[i, j] -= problem.sigmaX[i].squareRoot() * k[i, r + j] } }
        return e
    }

    /// Margin term [σm(Ỹ) − ‖E‖_F]₊ (the first term of c; the `margin` of `TrialResult`).
    public static func margin(constants: ProblemConstants, residualNorm: Double) -> Double {
        max(constants.sigmaMOfYTilde - residualNorm, 0)
    }

    /// c = −Δ+ + sqrt((Δ+ + Δ̲)² + 4[σm(Ỹ) − ‖E‖_F]₊² / λ1(Σx)) − Δ− + sqrt((Δ− + Δ̲)² + 4[σr(Ỹ) − ‖E‖_F]₊² / λ1(Σx)).
    public static func value(spectrum: ImbalanceSpectrum, constants: ProblemConstants, residualNorm: Double) -> Double {
        let dp = spectrum.deltaPlus, dm = spectrum.deltaMinus, de = spectrum.effectiveImbalance
        let l1 = constants.lambdaMaxSigmaX
        let am = max(constants.sigmaMOfYTilde - residualNorm, 0)
        let ar = max(constants.sigmaROfYTilde - residualNorm, 0)
        let first = -dp + ((dp + de) * (dp + de) + 4 * am * am / l1).squareRoot()
        let second = -dm + ((dm + de) * (dm + de) + 4 * ar * ar / l1).squareRoot()
        return first + second
    }

    /// The instantaneous decay rate −(d/dt) log(L − L*) of the gradient flow at a state, computed exactly from
    /// K_r: −dL̃/dt = ‖dZ_r/dt‖_F² = tr(S K_r S) = tr(K₁₁ B Bᵀ) + tr(K₂₂ BᵀB) with B = Σx^{1/2} E, divided by
    /// L̃ = ½‖E‖_F². NaN when L̃ = 0. At a converged state this is the asymptotic rate of the flow, free of the
    /// integrator's error (a trace slope in the far tail carries a relative error of order
    /// relativeTolerance·‖K‖/‖E‖). Scalar case: 2(u² + v²).
    public static func instantaneousRate(problem: Problem, reducedGram k: Matrix) -> Double {
        let r = problem.rank, m = problem.outputDimension
        var b = reducedResidual(problem: problem, reducedGram: k)
        let excess = 0.5 * b.frobeniusNormSquared
        guard excess > 0 else { return .nan }
        for j in 0..<m { for i in 0..<r { b[i, j] *= problem.sigmaX[i].squareRoot() } }
        let k11 = k.block(rows: 0..<r, cols: 0..<r), k22 = k.block(rows: r..<(r + m), cols: r..<(r + m))
        let bbT = b.times(b, transposeOther: true), bTb = b.times(b, transposeSelf: true)
        return (k11.dot(bbT) + k22.dot(bTb)) / excess
    }
}

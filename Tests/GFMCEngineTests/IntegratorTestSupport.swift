import GFMCEngine
import GFMCLinearAlgebra
import Foundation

/// A small seeded generator for the integrator tests (64-bit LCG, Knuth's MMIX constants, with
/// Box–Muller normals). Independent of GFMCRandom on purpose: these tests only need reproducible data.
struct IntegratorTestRNG {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }

    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (Double(state >> 11) + 0.5) / 9_007_199_254_740_992.0  // in (0, 1)
    }

    mutating func normal() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    mutating func matrix(_ rows: Int, _ cols: Int, scale: Double = 1) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for k in 0..<(rows * cols) { m.storage[k] = scale * normal() }
        return m
    }
}

/// ‖a − b‖_F / ‖b‖_F.
func integratorRelativeDifference(_ a: Matrix, _ b: Matrix) -> Double {
    (a - b).frobeniusNorm / max(b.frobeniusNorm, .leastNormalMagnitude)
}

/// X = W Φ1ᵀ (all nonzero singular values 1) from a Gaussian N×n matrix, Y Gaussian N×m.
func integratorWhitenedProblem(samples: Int, inputs: Int, outputs: Int, rng: inout IntegratorTestRNG) throws -> Problem {
    let x0 = rng.matrix(samples, inputs)
    let svd = try x0.svd()
    let x = svd.u.times(svd.v, transposeOther: true)
    return try Problem(x: x, y: rng.matrix(samples, outputs))
}

/// Gaussian X (entries N(0, 1/n)) of rank min(N, n) when `rank` is nil, or X = A·B of the given rank.
func integratorRandomProblem(samples: Int, inputs: Int, outputs: Int, rank: Int? = nil,
                   rng: inout IntegratorTestRNG) throws -> Problem {
    let scale = 1 / Double(inputs).squareRoot()
    let x: Matrix
    if let k = rank {
        x = rng.matrix(samples, k) * rng.matrix(k, inputs, scale: scale)
    } else {
        x = rng.matrix(samples, inputs, scale: scale)
    }
    return try Problem(x: x, y: rng.matrix(samples, outputs))
}

/// Z_r = [Φ1ᵀU; V] ((r+m)×h).
func integratorReducedState(_ p: Problem, u: Matrix, v: Matrix) -> Matrix {
    Matrix.vstack(p.phi1.times(u, transposeSelf: true), v)
}

/// The full end-to-end matrix implied by a Gram-engine run: Θ = Φ1 K₁₂ + Φ2 U2(0) V(t)ᵀ with
/// V(t) the last m rows of Φ(t) Z_r(0). Also returns Z_r(t).
func integratorGramTheta(_ p: Problem, u0: Matrix, v0: Matrix, gram: Matrix, transition: Matrix) -> (theta: Matrix, zr: Matrix) {
    let r = p.rank, m = p.outputDimension
    let zr = transition * integratorReducedState(p, u: u0, v: v0)
    let vEnd = zr.block(rows: r..<(r + m), cols: 0..<zr.cols)
    let u2 = p.phi2.times(u0, transposeSelf: true)
    var theta = p.phi1 * gram.block(rows: 0..<r, cols: r..<(r + m))
    if p.phi2.cols > 0 { theta += p.phi2 * u2.times(vEnd, transposeOther: true) }
    return (theta, zr)
}

/// Tight settings for reference runs.
func integratorTightSettings(maxTime: Double = 1e6) -> IntegrationSettings {
    IntegrationSettings(relativeTolerance: 1e-13, absoluteTolerance: 1e-18, excessLossTolerance: 1e-22,
                        thetaChangeTolerance: 1e-11, maxSteps: 200_000, maxTime: maxTime)
}

/// Settings that stop exactly at time t (the convergence test cannot fire first).
func integratorFixedTimeSettings(_ t: Double, relativeTolerance: Double = 1e-12) -> IntegrationSettings {
    IntegrationSettings(relativeTolerance: relativeTolerance, absoluteTolerance: 1e-18, excessLossTolerance: 0,
                        thetaChangeTolerance: 1e-300, maxTime: t)
}

import GFMCEngine
import GFMCLinearAlgebra
import Foundation
import Testing

/// Closed forms of theory.md §3 and §6 as independent oracles.
@Suite struct IntegratorClosedFormTests {
    /// Scalar case n = m = h = 1, X = 1: d = u² − v² is conserved, u² = (d + √(d² + 4w²))/2 with w = uv,
    /// and time itself is the quadrature t = ∫ dw / ((y − w)√(d² + 4w²)) (written in s = −ln(y − w) so the
    /// integrand stays smooth), evaluated independently by composite Simpson.
    @Test func scalarFlowMatchesConservationAndQuadrature() throws {
        let y = 2.0, u0 = 0.3, v0 = -0.1
        let problem = try Problem(x: Matrix(rowArrays: [[1]]), y: Matrix(rowArrays: [[y]]))
        let d = u0 * u0 - v0 * v0
        let w0 = u0 * v0
        for t in [0.25, 1.0, 2.0, 3.0] {
            let run = try WeightsEngine.integrate(problem: problem, u0: Matrix(rowArrays: [[u0]]),
                                                  v0: Matrix(rowArrays: [[v0]]), settings: integratorFixedTimeSettings(t))
            #expect(run.outcome.stopReason == "max_time")
            #expect(run.outcome.finalTime == t)
            let u = run.u[0, 0], v = run.v[0, 0], w = u * v
            #expect(abs((u * u - v * v) - d) <= 1e-11)
            #expect(abs(u * u - (d + (d * d + 4 * w * w).squareRoot()) / 2) <= 1e-11)
            #expect(abs(run.outcome.finalExcessLoss - 0.5 * (y - w) * (y - w)) <= 1e-12 * max(1, 0.5 * y * y))
            // Quadrature oracle.
            let s0 = -log(y - w0), s1 = -log(y - w)
            let intervals = 200_000
            let step = (s1 - s0) / Double(intervals)
            func integrand(_ s: Double) -> Double {
                let ww = y - exp(-s)
                return 1 / (d * d + 4 * ww * ww).squareRoot()
            }
            var sum = integrand(s0) + integrand(s1)
            for k in 1..<intervals { sum += (k % 2 == 1 ? 4 : 2) * integrand(s0 + Double(k) * step) }
            let tQuadrature = sum * step / 3
            // s1 = −ln(y − w) amplifies the rounding of w by y/(y − w): allow for that conditioning.
            let conditioning = 1e-15 * y / (y - w)
            #expect(abs(tQuadrature - t) <= 1e-9 * t + conditioning, "t = \(t): quadrature gives \(tQuadrature)")
        }
    }

    /// p(a, t) of theory.md §6 for the isotropic start K_r(0) = c I.
    static func isotropicP(_ a: Double, _ c: Double, _ t: Double) -> Double {
        let mu = (a * a + c * c).squareRoot(), q0 = c - a
        let th = tanh(mu * t)
        return a + mu * (q0 + mu * th) / (mu + q0 * th)
    }

    /// Isotropic start on whitened data: K_r(t) = p(S_Ỹ, t) (a scalar function of S_Ỹ = [[0, Ỹ], [Ỹᵀ, 0]])
    /// and U1Vᵀ(t) = P diag((p(σ) − p(−σ))/2) Q̃ᵀ; both engines, several times.
    @Test func isotropicClosedFormBothEngines() throws {
        var rng = IntegratorTestRNG(seed: 11)
        let problem = try integratorWhitenedProblem(samples: 3, inputs: 6, outputs: 2, rng: &rng)
        let r = problem.rank, m = problem.outputDimension, dim = r + m
        #expect(r == 3)
        let c = 0.7
        // Z_r(0) = √c [I | 0] with h = dim + 2; U2(0) random (it does not enter the dynamics of K_r).
        let h = dim + 2
        let zr0 = Matrix(rows: dim, cols: h) { i, j in i == j ? c.squareRoot() : 0 }
        let u0 = problem.phi1 * zr0.block(rows: 0..<r, cols: 0..<h)
            + problem.phi2 * rng.matrix(problem.phi2.cols, h, scale: 0.3)
        let v0 = zr0.block(rows: r..<dim, cols: 0..<h)
        var sY = Matrix(rows: dim, cols: dim)
        sY.setBlock(problem.yTilde, row: 0, col: r)
        sY.setBlock(problem.yTilde.transposed, row: r, col: 0)
        let svd = try problem.yTilde.svd()
        for t in [0.3, 1.0, 3.0] {
            let expectedK = try sY.symmetricFunction { Self.isotropicP($0, c, t) }
            var diag = Matrix(rows: m, cols: m)
            for i in 0..<m {
                let s = svd.singularValues[i]
                diag[i, i] = (Self.isotropicP(s, c, t) - Self.isotropicP(-s, c, t)) / 2
            }
            let expectedU1V = svd.u * diag * svd.v.transposed
            let gram = try GramEngine.integrate(problem: problem, reducedGram: Matrix.identity(dim) * c,
                                                settings: integratorFixedTimeSettings(t))
            #expect(gram.outcome.finalTime == t)
            #expect(integratorRelativeDifference(gram.gram, expectedK) <= 1e-10)
            #expect(integratorRelativeDifference(gram.gram.block(rows: 0..<r, cols: r..<dim), expectedU1V) <= 1e-10)
            let weights = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: integratorFixedTimeSettings(t))
            let u1v = problem.phi1.times(weights.u, transposeSelf: true).times(weights.v, transposeOther: true)
            #expect(integratorRelativeDifference(u1v, expectedU1V) <= 1e-10)
        }
    }

    /// λ-balanced start (D = λI_h, h ≤ m), whitened data: the Riccati solution
    /// K_r(t) = e^{At} K0 [I + (∫₀ᵗ e^{2As} ds) K0]^{−1} e^{At}, A = [[(λ/2) I_r, Ỹ], [Ỹᵀ, −(λ/2) I_m]].
    @Test func lambdaBalancedRiccatiBothEngines() throws {
        var rng = IntegratorTestRNG(seed: 12)
        let problem = try integratorWhitenedProblem(samples: 3, inputs: 7, outputs: 2, rng: &rng)
        let r = problem.rank, m = problem.outputDimension, dim = r + m
        let h = 2, lambda = 0.8
        let v0 = rng.matrix(m, h, scale: 0.6)
        // U1 = Q (λI + V0ᵀV0)^{1/2} with Q (r×h) orthonormal, so U1ᵀU1 − V0ᵀV0 = λI.
        let q = try rng.matrix(r, h).svd().u
        let u1 = try q * (Matrix.identity(h) * lambda + v0.times(v0, transposeSelf: true)).symmetricSquareRoot()
        let imbalance = u1.times(u1, transposeSelf: true) - v0.times(v0, transposeSelf: true)
        #expect(integratorRelativeDifference(imbalance, Matrix.identity(h) * lambda) <= 1e-13)
        let u0 = problem.phi1 * u1 + problem.phi2 * rng.matrix(problem.phi2.cols, h, scale: 0.2)
        let zr0 = integratorReducedState(problem, u: u0, v: v0)
        let k0 = zr0.times(zr0, transposeOther: true).symmetrized
        var a = Matrix(rows: dim, cols: dim)
        for i in 0..<r { a[i, i] = lambda / 2 }
        for i in r..<dim { a[i, i] = -lambda / 2 }
        a.setBlock(problem.yTilde, row: 0, col: r)
        a.setBlock(problem.yTilde.transposed, row: r, col: 0)
        // (Larger t makes the oracle itself ill-conditioned: e^{At} grows like e^{‖A‖t} while K stays O(1).)
        for t in [0.5, 1.0, 2.0] {
            let eAt = try a.symmetricFunction { exp($0 * t) }
            let integral = try a.symmetricFunction { x in
                abs(x) < 1e-12 ? t : expm1(2 * x * t) / (2 * x)
            }
            let expected = try eAt * k0 * (Matrix.identity(dim) + integral * k0).solve(eAt)
            let gram = try GramEngine.integrate(problem: problem, reducedGram: k0, settings: integratorFixedTimeSettings(t))
            #expect(integratorRelativeDifference(gram.gram, expected) <= 1e-9)
            let weights = try WeightsEngine.integrate(problem: problem, u0: u0, v0: v0, settings: integratorFixedTimeSettings(t))
            let zr = integratorReducedState(problem, u: weights.u, v: weights.v)
            #expect(integratorRelativeDifference(zr.times(zr, transposeOther: true), expected) <= 1e-9)
        }
    }
}

import Foundation
import GFMCEngine
import GFMCLinearAlgebra

/// The `weights` engine's time per right-hand-side evaluation against the bare BLAS products of the same shapes.
public struct BenchRHSMeasurement: Codable, Sendable {
    public var width: Int
    /// Seconds of `WeightsEngine.integrate` (gradient flow, default accuracy) divided by its RHS evaluations:
    /// everything the integrator does per evaluation (Runge–Kutta stage sums, error norm, stopping test) included.
    public var enginePerRHS: BenchTimingSummary?
    public var rhsEvaluations: Int
    /// Seconds per set of the five products one RHS needs, called through BLAS into preallocated workspaces:
    /// P = U Vᵀ (n×h·h×m), R = Y − X P (N×n·n×m), G = Xᵀ R (n×N·N×m), dU = G V (n×m·m×h), dV = Gᵀ U (m×n·n×h).
    public var barePerRHS: BenchTimingSummary?
    public init(width: Int, enginePerRHS: BenchTimingSummary?, rhsEvaluations: Int, barePerRHS: BenchTimingSummary?) {
        self.width = width
        self.enginePerRHS = enginePerRHS
        self.rhsEvaluations = rhsEvaluations
        self.barePerRHS = barePerRHS
    }

    /// enginePerRHS.median / barePerRHS.median (goal ≤ 1.3).
    public var ratio: Double? {
        guard let e = enginePerRHS?.median, let b = barePerRHS?.median, b > 0 else { return nil }
        return e / b
    }
}

public enum BenchRHS {
    /// Measures `repetitions` integrations (trials 0..<repetitions) and the same number of bare-product timings,
    /// each of the latter the mean over enough product sets to last ≥ 0.2 s.
    public static func measure(network: BenchWideNetwork, width: Int, repetitions: Int) throws -> BenchRHSMeasurement {
        var engine: [Double] = []
        var rhs = 0
        for index in 0..<repetitions {
            let (u0, v0) = try network.initialWeights(width: width, index: index)
            let ((_, _, outcome), seconds) = try BenchClock.measure {
                try WeightsEngine.integrate(problem: network.problem, u0: u0, v0: v0,
                                            settings: BenchWideNetwork.flowSettings)
            }
            rhs = outcome.rhsEvaluations
            if outcome.rhsEvaluations > 0 { engine.append(seconds / Double(outcome.rhsEvaluations)) }
        }
        let (u, v) = try network.initialWeights(width: width, index: 0)
        var bare: [Double] = []
        for _ in 0..<repetitions { bare.append(bareProducts(problem: network.problem, u: u, v: v, minimumSeconds: 0.2)) }
        return BenchRHSMeasurement(width: width, enginePerRHS: BenchTimingSummary(engine), rhsEvaluations: rhs,
                                   barePerRHS: BenchTimingSummary(bare))
    }

    /// Mean seconds of one set of the five products (see `BenchRHSMeasurement.barePerRHS`), looping until at
    /// least `minimumSeconds` have passed (and at least 3 sets).
    public static func bareProducts(problem: Problem, u: Matrix, v: Matrix, minimumSeconds: Double) -> Double {
        let n = problem.inputDimension, m = problem.outputDimension, samples = problem.samples, h = u.cols
        var p = Matrix(rows: n, cols: m, repeating: 0)
        var r = Matrix(rows: samples, cols: m, repeating: 0)
        var g = Matrix(rows: n, cols: m, repeating: 0)
        var du = Matrix(rows: n, cols: h, repeating: 0)
        var dv = Matrix(rows: m, cols: h, repeating: 0)
        let x = problem.x, y = problem.y
        func oneSet() {
            Matrix.gemm(u, v, transposeB: true, into: &p)
            r.storage.withUnsafeMutableBufferPointer { dst in
                y.storage.withUnsafeBufferPointer { src in dst.baseAddress!.update(from: src.baseAddress!, count: src.count) }
            }
            Matrix.gemm(x, p, alpha: -1, beta: 1, into: &r)
            Matrix.gemm(x, transposeA: true, r, into: &g)
            Matrix.gemm(g, v, into: &du)
            Matrix.gemm(g, transposeA: true, u, into: &dv)
        }
        oneSet()
        var sets = 0
        let clock = ContinuousClock()
        let start = clock.now
        var elapsed = 0.0
        while sets < 3 || elapsed < minimumSeconds {
            for _ in 0..<8 { oneSet() }
            sets += 8
            elapsed = BenchClock.seconds(clock.now - start)
        }
        return elapsed / Double(sets)
    }
}

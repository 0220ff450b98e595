import Foundation

/// The Dormand–Prince 5(4) tableau and the step-size controller constants shared by the two adaptive
/// integrators (`WeightsFlowIntegrator`, `GramFlowIntegrator`); the method is described on `IntegrationSettings`.
enum DormandPrince {
    // Butcher tableau (Dormand & Prince 1980; checked against SciPy's RK45).
    static let c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9
    static let a21 = 1.0 / 5
    static let a31 = 3.0 / 40, a32 = 9.0 / 40
    static let a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9
    static let a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729
    static let a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176
    static let a65 = -5103.0 / 18656
    static let b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84
    /// e = b(5th order) − b̂(4th order).
    static let e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200
    static let e6 = 22.0 / 525, e7 = -1.0 / 40

    static let safety = 0.9, beta = 0.04, maxGrowth = 10.0, maxShrink = 0.2
    static let maxConsecutiveNonFinite = 20

    /// Row s of the tableau as (stage index, coefficient) pairs with nonzero coefficients; row 6 holds the
    /// 5th-order solution weights b (FSAL: stage 6 is evaluated at the new point).
    static let stageRows: [[(Int, Double)]] = [
        [], [a21], [a31, a32], [a41, a42, a43], [a51, a52, a53, a54], [a61, a62, a63, a64, a65],
        [b1, 0, b3, b4, b5, b6],
    ].map { row in row.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) } }
    /// The solution weights b over stages 0…5 (stage 6 has weight 0).
    static let solutionWeights: [Double] = [b1, 0, b3, b4, b5, b6]
    /// The error weights e over stages 0…6.
    static let errorWeights: [Double] = [e1, 0, e3, e4, e5, e6, e7]

    /// The PI step-size controller shared by both adaptive integrators. `err` is the scaled error norm of the
    /// attempted step (≤ 1 accepts); every method returns the next step size.
    struct StepController {
        private var errOld = 1e-4
        private var lastRejected = false
        private var nonFiniteInARow = 0

        /// A step whose error or new state was not finite: retry 10× shorter. Returns nil once
        /// `maxConsecutiveNonFinite` such steps came in a row (the integration stops as "non_finite").
        mutating func rejectNonFinite(stepSize hs: Double) -> Double? {
            nonFiniteInARow += 1
            if nonFiniteInARow >= DormandPrince.maxConsecutiveNonFinite { return nil }
            lastRejected = true
            return hs * 0.1
        }

        /// The error was finite (whether or not the step is then accepted).
        mutating func errorWasFinite() { nonFiniteInARow = 0 }

        mutating func accept(error err: Double, stepSize hs: Double) -> Double {
            var factor = DormandPrince.safety * Foundation.pow(max(err, 1e-300), -(0.2 - 0.75 * DormandPrince.beta))
                * Foundation.pow(errOld, DormandPrince.beta)
            factor = min(lastRejected ? 1 : DormandPrince.maxGrowth, max(DormandPrince.maxShrink, factor))
            errOld = max(err, 1e-4)
            lastRejected = false
            return hs * factor
        }

        mutating func reject(error err: Double, stepSize hs: Double) -> Double {
            lastRejected = true
            return hs * max(DormandPrince.maxShrink, DormandPrince.safety * Foundation.pow(err, -0.2))
        }
    }

    static func allFinite(_ v: UnsafePointer<Double>, _ count: Int) -> Bool {
        var s = 0.0
        for i in 0..<count { s += v[i] * 0 }
        return !s.isNaN
    }
}

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

    static func allFinite(_ v: UnsafePointer<Double>, _ count: Int) -> Bool {
        var s = 0.0
        for i in 0..<count { s += v[i] * 0 }
        return !s.isNaN
    }
}

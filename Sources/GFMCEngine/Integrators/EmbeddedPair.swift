import Foundation

/// An explicit embedded Runge–Kutta pair as the adaptive driver (`AdaptiveIntegration`) and the two flows
/// (`WeightsFlowIntegrator`, `GramFlowIntegrator`) use it. Stage 0 is the derivative at the current point;
/// stage s ≥ 1 is evaluated at `y + h Σ_j a_sj k_j` (`stageRows[s]`, nonzero entries only). The last row,
/// `stageRows[newPointStage]`, holds the solution weights b: that "stage" is the derivative at the new point,
/// which becomes stage 0 of the next step.
///
/// * Dormand–Prince 5(4) (`dopri5`; the pair of MATLAB's ode45 and SciPy's RK45): 7 rows; the error estimate
///   uses the new point's derivative (FSAL), so an attempted step costs 6 evaluations.
/// * Dormand–Prince 8(5,3) (`dop853`; Hairer's DOP853, Hairer–Nørsett–Wanner, *Solving ODEs I*, §II.10):
///   12 stages plus the new point; the error estimate uses stages 0…11 only, so an attempted step costs 11
///   evaluations and an accepted one 1 more. Its error is Hairer's combination of a 5th-order and a 3rd-order
///   estimate, `err = e5² / sqrt(e5² + 0.01·e3²)` per part of the state, which behaves like h⁸.
struct EmbeddedPair: Sendable {
    let scheme: IntegrationScheme
    /// Row s: (stage j, a_sj) for the nonzero coefficients; the last row is b (the new point).
    let stageRows: [[(Int, Double)]]
    /// b over stages 0…(newPointStage − 1), zeros included (its length fixes the shape of the update products).
    let solutionWeights: [Double]
    /// One error-weight vector (5(4)) or two (8(5,3): the 5th-order one, then the 3rd-order one). Their length
    /// is the number of stages they run over.
    let errorWeights: [[Double]]
    /// Whether the error estimate uses the new point's derivative (then it is evaluated for every attempt).
    let errorUsesNewPoint: Bool
    /// The controller's exponent 1/q for an error that behaves like h^q.
    let errorExponent: Double
    /// The PI controller's β (Hairer's defaults: 0.04 for DOPRI5, 0 for DOP853, which with this pair also
    /// takes 10–15 % fewer evaluations on the paper's wide problem than β = 0.04).
    let controllerBeta: Double

    /// Index of the new point's derivative (= number of stages of an attempted step including stage 0).
    var newPointStage: Int { stageRows.count - 1 }
    /// Stage slots a flow keeps (stage 0 … new point).
    var stageSlots: Int { stageRows.count }
    /// Evaluations of an attempted step before its error is known.
    var evaluationsPerAttempt: Int { errorUsesNewPoint ? newPointStage : newPointStage - 1 }

    /// Stages (ascending) with a nonzero weight in some error vector.
    var errorStages: [Int] {
        let count = errorWeights.map(\.count).max() ?? 0
        return (0..<count).filter { j in errorWeights.contains { j < $0.count && $0[j] != 0 } }
    }

    /// Combines the scaled error norms of one part of the state (one per error vector) into one number ≤ 1 for
    /// an acceptable step. NaN stays NaN.
    func combine(_ norms: [Double]) -> Double {
        if norms.count == 1 { return norms[0] }
        let e5 = norms[0], e3 = norms[1]
        let denominator = (e5 * e5 + 0.01 * e3 * e3).squareRoot()
        if denominator.isNaN { return .nan }
        return denominator > 0 ? e5 * e5 / denominator : 0
    }

    static func pair(for scheme: IntegrationScheme) -> EmbeddedPair {
        switch scheme {
        case .dopri5: return dopri5
        case .dop853: return dop853
        }
    }

    private static func sparse(_ rows: [[Double]]) -> [[(Int, Double)]] {
        rows.map { row in row.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) } }
    }

    /// Dormand & Prince (1980), checked against SciPy's RK45 and Hairer's DOPRI5.
    static let dopri5: EmbeddedPair = {
        let a21 = 1.0 / 5
        let a31 = 3.0 / 40, a32 = 9.0 / 40
        let a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9
        let a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729
        let a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176
        let a65 = -5103.0 / 18656
        let b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84
        // e = b(5th order) − b̂(4th order), over stages 0…6 (stage 6 is the new point).
        let e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200
        let e6 = 22.0 / 525, e7 = -1.0 / 40
        let b = [b1, 0, b3, b4, b5, b6]
        return EmbeddedPair(scheme: .dopri5,
                            stageRows: sparse([[], [a21], [a31, a32], [a41, a42, a43], [a51, a52, a53, a54],
                                               [a61, a62, a63, a64, a65], b]),
                            solutionWeights: b, errorWeights: [[e1, 0, e3, e4, e5, e6, e7]],
                            errorUsesNewPoint: true, errorExponent: 0.2, controllerBeta: 0.04)
    }()

    /// Hairer's DOP853 (the coefficients of dop853.f, as in SciPy's `dop853_coefficients` and Numerical
    /// Recipes' `StepperDopr853`); `IntegratorSchemeTests` checks it against the closed form of theory.md §6 and a
    /// tight reference on the paper's wide problem.
    static let dop853: EmbeddedPair = {
        var a = [[Double]](repeating: [], count: 12)
        a[1] = [5.26001519587677318785587544488e-2]
        a[2] = [1.97250569845378994544595329183e-2, 5.91751709536136983633785987549e-2]
        a[3] = [2.95875854768068491816892993775e-2, 0, 8.87627564304205475450678981324e-2]
        a[4] = [2.41365134159266685502369798665e-1, 0, -8.84549479328286085344864962717e-1,
                9.24834003261792003115737966543e-1]
        a[5] = [3.7037037037037037037037037037e-2, 0, 0, 1.70828608729473871279604482173e-1,
                1.25467687566822425016691814123e-1]
        a[6] = [3.7109375e-2, 0, 0, 1.70252211019544039314978060272e-1, 6.02165389804559606850219397283e-2,
                -1.7578125e-2]
        a[7] = [3.70920001185047927108779319836e-2, 0, 0, 1.70383925712239993810214054705e-1,
                1.07262030446373284651809199168e-1, -1.53194377486244017527936158236e-2,
                8.27378916381402288758473766002e-3]
        a[8] = [6.24110958716075717114429577812e-1, 0, 0, -3.36089262944694129406857109825,
                -8.68219346841726006818189891453e-1, 2.75920996994467083049415600797e1,
                2.01540675504778934086186788979e1, -4.34898841810699588477366255144e1]
        a[9] = [4.77662536438264365890433908527e-1, 0, 0, -2.48811461997166764192642586468,
                -5.90290826836842996371446475743e-1, 2.12300514481811942347288949897e1,
                1.52792336328824235832596922938e1, -3.32882109689848629194453265587e1,
                -2.03312017085086261358222928593e-2]
        a[10] = [-9.3714243008598732571704021658e-1, 0, 0, 5.18637242884406370830023853209,
                 1.09143734899672957818500254654, -8.14978701074692612513997267357,
                 -1.85200656599969598641566180701e1, 2.27394870993505042818970056734e1,
                 2.49360555267965238987089396762, -3.0467644718982195003823669022]
        a[11] = [2.27331014751653820792359768449, 0, 0, -1.05344954667372501984066689879e1,
                 -2.00087205822486249909675718444, -1.79589318631187989172765950534e1,
                 2.79488845294199600508499808837e1, -2.85899827713502369474065508674,
                 -8.87285693353062954433549289258, 1.23605671757943030647266201528e1,
                 6.43392746015763530355970484046e-1]
        let b = [5.42937341165687622380535766363e-2, 0, 0, 0, 0, 4.45031289275240888144113950566,
                 1.89151789931450038304281599044, -5.8012039600105847814672114227,
                 3.1116436695781989440891606237e-1, -1.52160949662516078556178806805e-1,
                 2.01365400804030348374776537501e-1, 4.47106157277725905176885569043e-2]
        // 5th-order error weights (er1, er6…er12) and the 3rd-order ones, b − (bhh1 at 0, bhh2 at 8, bhh3 at 11).
        let e5 = [0.1312004499419488073250102996e-1, 0, 0, 0, 0, -0.1225156446376204440720569753e+1,
                  -0.4957589496572501915214079952, 0.1664377182454986536961530415e+1,
                  -0.3503288487499736816886487290, 0.3341791187130174790297318841,
                  0.8192320648511571246570742613e-1, -0.2235530786388629525884427845e-1]
        var e3 = b
        e3[0] -= 0.244094488188976377952755905512
        e3[8] -= 0.733846688281611857341361741547
        e3[11] -= 0.220588235294117647058823529412e-1
        return EmbeddedPair(scheme: .dop853, stageRows: sparse(a + [b]), solutionWeights: b,
                            errorWeights: [e5, e3], errorUsesNewPoint: false, errorExponent: 1.0 / 8,
                            controllerBeta: 0)
    }()

    // MARK: Controller constants shared by the pairs
    static let safety = 0.9, maxGrowth = 10.0, maxShrink = 0.2
    static let maxConsecutiveNonFinite = 20

    static func allFinite(_ v: UnsafePointer<Double>, _ count: Int) -> Bool {
        var s = 0.0
        for i in 0..<count { s += v[i] * 0 }
        return !s.isNaN
    }
}

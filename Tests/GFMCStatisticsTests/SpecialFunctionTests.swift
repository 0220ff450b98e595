import Testing
import GFMCStatistics

/// Reference values computed once with SciPy 1.17.1 (python3):
///   scipy.special.betainc(a, b, x), scipy.special.betaincinv(a, b, p),
///   scipy.stats.t.ppf(p, nu), scipy.stats.t.cdf(t, nu), scipy.stats.norm.ppf(p)
/// and hard-coded here with `repr` precision.
@Suite("Special functions against SciPy")
struct SpecialFunctionTests {
    @Test(arguments: [
        (0.5, 0.5, 0.3, 0.36901011956554536),
        (2.0, 3.0, 0.4, 0.5247999999999999),
        (10.0, 20.0, 0.2, 0.049263517304212585),
        (0.01, 5.0, 0.001, 0.9527958800070772),
        (500.0, 300.0, 0.62, 0.383003521826823),
        (10000.0, 20000.0, 0.335, 0.7301346342435686),
        (3.5, 1.5, 0.999, 0.9998284671702214),
    ])
    func incompleteBeta(a: Double, b: Double, x: Double, expected: Double) {
        let value = SpecialFunctions.regularizedIncompleteBeta(x, a: a, b: b)
        // log Γ cancellation limits accuracy for large a + b (documented contract).
        let tolerance = a + b < 1000 ? 1e-12 : 1e-10
        #expect(relativeError(value, expected) < tolerance, "I_\(x)(\(a), \(b)) = \(value), SciPy \(expected)")
    }

    @Test(arguments: [
        (2.0, 3.0, 0.05, 0.09761146288641434),
        (0.5, 0.5, 0.975, 0.9984586668665639),
        (10.0, 40.0, 1e-06, 0.028349977904182703),
        (50.0, 1.0, 0.5, 0.9862327044933592),
        (1.0, 50.0, 0.999, 0.12903641004391936),
        (3.0, 48.0, 0.025, 0.01254858783533406),
        (6.0, 45.0, 0.975, 0.21813536643420225),
        (0.5, 3.0, 1e-12, 2.844444444444445e-25),
        (200.0, 0.7, 0.3, 0.9959548481590088),
    ])
    func betaQuantile(a: Double, b: Double, p: Double, expected: Double) {
        let x = SpecialFunctions.inverseRegularizedIncompleteBeta(p, a: a, b: b)
        #expect(relativeError(x, expected) < 1e-10, "Beta⁻¹(\(p); \(a), \(b)) = \(x), SciPy \(expected)")
        // Round trip through the forward function.
        #expect(relativeError(SpecialFunctions.regularizedIncompleteBeta(x, a: a, b: b), p) < 1e-10)
    }

    @Test(arguments: [
        (1.0, 0.975, 12.706204736174694),
        (2.0, 0.975, 4.302652729749462),
        (4.0, 0.995, 4.604094871349992),
        (9.0, 0.975, 2.262157162798205),
        (30.0, 0.9, 1.3104150253913955),
        (1000.0, 0.975, 1.9623390808264083),
        (3.0, 1e-08, -479.5250695797382),
        (5.0, 0.5000001, 2.6343055223849135e-07),
        (2.5, 0.8, 1.0101638747222512),
        (1e5, 0.975, 1.9599877075346095),
        (1.5, 0.999, 52.18443000899263),
    ])
    func studentTQuantile(nu: Double, p: Double, expected: Double) {
        let t = SpecialFunctions.studentTQuantile(p, degreesOfFreedom: nu)
        #expect(relativeError(t, expected) < 1e-9, "t⁻¹(\(p); ν=\(nu)) = \(t), SciPy \(expected)")
    }

    @Test(arguments: [
        (1.0, 1.0, 0.75),
        (3.0, -2.5, 0.04385332350403278),
        (10.0, 0.001, 0.5003891083126295),
        (50.0, 4.0, 0.9998954048768179),
        (7.0, -40.0, 7.951089992425182e-10),
    ])
    func studentTCDF(nu: Double, t: Double, expected: Double) {
        let value = SpecialFunctions.studentTCDF(t, degreesOfFreedom: nu)
        #expect(relativeError(value, expected) < 1e-11, "T(\(t); ν=\(nu)) = \(value), SciPy \(expected)")
    }

    @Test(arguments: [
        (0.975, 1.959963984540054),
        (0.5, 0.0),
        (1e-10, -6.361340902404056),
        (0.3, -0.5244005127080409),
        (0.999999, 4.753424308817087),
    ])
    func normalQuantile(p: Double, expected: Double) {
        let z = SpecialFunctions.normalQuantile(p)
        #expect(abs(z - expected) <= 1e-13 * max(1, abs(expected)), "Φ⁻¹(\(p)) = \(z), SciPy \(expected)")
    }

    @Test func edgeCases() {
        #expect(SpecialFunctions.regularizedIncompleteBeta(0, a: 2, b: 3) == 0)
        #expect(SpecialFunctions.regularizedIncompleteBeta(1, a: 2, b: 3) == 1)
        #expect(SpecialFunctions.regularizedIncompleteBeta(0.5, a: -1, b: 3).isNaN)
        #expect(SpecialFunctions.inverseRegularizedIncompleteBeta(0, a: 2, b: 3) == 0)
        #expect(SpecialFunctions.inverseRegularizedIncompleteBeta(1, a: 2, b: 3) == 1)
        #expect(SpecialFunctions.studentTQuantile(0.5, degreesOfFreedom: 3) == 0)
        #expect(SpecialFunctions.studentTQuantile(1, degreesOfFreedom: 3) == .infinity)
        #expect(SpecialFunctions.studentTQuantile(0.9, degreesOfFreedom: 0).isNaN)
        // Symmetry I_x(a, b) = 1 − I_{1−x}(b, a) and t quantile antisymmetry.
        let v = SpecialFunctions.regularizedIncompleteBeta(0.37, a: 4.5, b: 2.25)
        #expect(abs(v - (1 - SpecialFunctions.regularizedIncompleteBeta(0.63, a: 2.25, b: 4.5))) < 1e-14)
        // 1 − 0.9 is not exactly 0.1 in binary, hence the tolerance.
        #expect(abs(SpecialFunctions.studentTQuantile(0.1, degreesOfFreedom: 7)
                    + SpecialFunctions.studentTQuantile(0.9, degreesOfFreedom: 7)) < 1e-14)
    }
}

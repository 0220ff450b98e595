import Foundation
import GFMCStatistics
import Testing

/// Reference numbers computed once with Python 3.11 / SciPy 1.17.1 on the samples below:
///   from scipy import stats; import numpy as np
///   r = stats.ks_2samp(a, b, method='exact')        # statistic 0.4, exact p 0.18239056228018405
///   en = 12*15/27; lam = (np.sqrt(en) + 0.12 + 0.11/np.sqrt(en)) * r.statistic
///   stats.kstwobign.sf(lam)                         # 0.17941256210224366 (lam = 1.0978366857119572)
///   r1 = stats.kstest(c, 'norm')                    # statistic 0.13188137201398742
///   lam1 = (np.sqrt(10) + 0.12 + 0.11/np.sqrt(10)) * r1.statistic; stats.kstwobign.sf(lam1)  # 0.9909134435784982
///   [stats.kstwobign.sf(l) for l in (0.3, 0.5, …, 3.0)]   # Q_KS table below
@Suite struct KolmogorovSmirnovTests {
    static let a = [0.61, -1.20, 0.35, 2.10, -0.44, 0.05, 1.33, -0.87, 0.92, -0.12, 0.35, 1.75]
    static let b = [1.05, 2.40, 0.35, 1.90, 0.77, 3.10, -0.20, 1.48, 2.65, 0.88, 1.21, 0.35, 2.02, 1.66, 0.49]
    static let c = [0.12, -0.53, 1.91, 0.44, -1.37, 0.08, 0.71, -0.29, 1.02, -0.95]

    @Test func kolmogorovSurvivalMatchesScipy() {
        let reference: [(Double, Double)] = [
            (0.3, 0.9999906941986655), (0.5, 0.9639452436648751), (0.8, 0.5441424115741981),
            (1.0, 0.26999967167735456), (1.18, 0.1234538094297657), (1.36, 0.049485876755377876),
            (1.63, 0.009846364888486529), (2.0, 0.0006709252557796953), (3.0, 3.045995948942526e-08),
        ]
        for (lambda, q) in reference {
            let value = KolmogorovSmirnov.kolmogorovSurvival(lambda)
            #expect(abs(value - q) < 1e-12 + 1e-10 * q, "Q(\(lambda)) = \(value), scipy \(q)")
        }
        #expect(KolmogorovSmirnov.kolmogorovSurvival(0) == 1)
        #expect(KolmogorovSmirnov.kolmogorovSurvival(0.05) == 1)
        // Both series agree at the switch point.
        let below = KolmogorovSmirnov.kolmogorovSurvival(1.18.nextDown)
        let above = KolmogorovSmirnov.kolmogorovSurvival(1.18)
        #expect(abs(below - above) < 1e-14)
    }

    @Test func twoSampleMatchesScipyWithTies() {
        let result = KolmogorovSmirnov.twoSample(Self.a, Self.b)
        #expect(abs(result.statistic - 0.4) < 1e-12)               // ks_2samp statistic
        #expect(abs(result.pValue - 0.17941256210224366) < 1e-12)  // kstwobign.sf(1.0978366857119572)
        #expect(abs(result.pValue - 0.18239056228018405) < 0.01)   // ks_2samp exact p-value
        let swapped = KolmogorovSmirnov.twoSample(Self.b, Self.a)
        #expect(swapped.statistic == result.statistic && swapped.pValue == result.pValue)
    }

    @Test func oneSampleMatchesScipy() {
        let result = KolmogorovSmirnov.oneSample(Self.c) { 0.5 * erfc(-$0 / 2.0.squareRoot()) }
        #expect(abs(result.statistic - 0.13188137201398742) < 1e-12)  // kstest(c, 'norm') statistic
        #expect(abs(result.pValue - 0.9909134435784982) < 1e-12)      // kstwobign.sf(0.4374587818355003)
    }

    @Test func edgeCases() {
        let same = KolmogorovSmirnov.twoSample([1, 2, 3], [3, 2, 1])
        #expect(same.statistic == 0 && same.pValue == 1)
        let disjoint = KolmogorovSmirnov.twoSample([1, 2, 3, 4], [5, 6, 7])
        #expect(disjoint.statistic == 1)
        // A single point against a CDF: D = max(1 − F(x), F(x)).
        #expect(KolmogorovSmirnov.oneSampleStatistic([0.3]) { $0 } == 0.7)
    }
}

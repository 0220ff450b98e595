import Foundation

/// Sample moments for the statistical tests.
struct SampleMoments {
    let count: Double
    let mean: Double
    /// Unbiased sample variance.
    let variance: Double
    /// Fourth central moment divided by the squared (biased) variance (3 for a normal law).
    let kurtosis: Double

    init(_ values: [Double]) {
        count = Double(values.count)
        mean = values.reduce(0, +) / count
        var m2 = 0.0
        var m4 = 0.0
        for v in values {
            let d = (v - mean) * (v - mean)
            m2 += d
            m4 += d * d
        }
        variance = m2 / (count - 1)
        kurtosis = (m4 / count) / ((m2 / count) * (m2 / count))
    }
}

/// Standard normal CDF Φ(x) = erfc(−x/√2)/2.
func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

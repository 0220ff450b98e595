/// Descriptive statistics of a sample. Sums run in the order given, so equal inputs give bit-identical
/// outputs; callers that need order independence sort first.
public enum Descriptive {
    /// Arithmetic mean Σxᵢ/n (compensated two-pass: the mean of the residuals is added back).
    /// Edge cases: n = 0 gives NaN; NaN in the input propagates.
    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let n = Double(values.count)
        let first = values.reduce(0, +) / n
        let correction = values.reduce(0) { $0 + ($1 - first) } / n
        return first + correction
    }

    /// Sample variance with Bessel's correction, Σ(xᵢ − x̄)²/(n − 1), two-pass with the
    /// compensation term of Chan, Golub & LeVeque (1983).
    /// Edge cases: n < 2 gives NaN; an all-equal sample gives exactly 0.
    public static func sampleVariance(_ values: [Double]) -> Double {
        guard values.count >= 2 else { return .nan }
        let m = mean(values)
        var sumSquares = 0.0
        var sum = 0.0
        for v in values {
            let d = v - m
            sumSquares += d * d
            sum += d
        }
        let n = Double(values.count)
        return max(0, (sumSquares - sum * sum / n) / (n - 1))
    }

    /// Sample standard deviation sqrt(`sampleVariance`). n < 2 gives NaN; all-equal gives 0.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double {
        sampleVariance(values).squareRoot()
    }

    /// Median (the type-7 quantile at 1/2). n = 0 gives NaN.
    public static func median(_ values: [Double]) -> Double {
        Quantiles.type7(values, probability: 0.5)
    }
}

import Foundation

/// Least-squares fit of log y = intercept + slope · log h, i.e. y ≈ e^intercept · h^slope. The slope is
/// the power-law exponent.
public struct PowerLawFit: Codable, Equatable, Sendable {
    /// Fitted exponent (slope on natural-log axes; identical on log10 axes).
    public var slope: Double
    /// Fitted intercept on natural-log axes: log y at h = 1.
    public var intercept: Double
    /// Standard error of the slope; NaN when there are only two points (no residual degrees of freedom).
    public var slopeStandardError: Double
    /// t-based interval slope ± t_{1−(1−level)/2, n−2} · SE; nil with fewer than three points.
    public var slopeInterval: ConfidenceInterval?
    /// Number of points used.
    public var pointCount: Int
    /// Whether weights were supplied.
    public var weighted: Bool

    /// Fits the power law by (weighted) ordinary least squares on (log h, log y).
    ///
    /// Method: with weights wᵢ (all 1 if nil), x̄ = Σwx/Σw, slope = Σw(x − x̄)(y − ȳ)/Σw(x − x̄)²,
    /// residual variance σ̂² = Σw r²/(n − 2), SE(slope) = sqrt(σ̂²/Σw(x − x̄)²). Weights are relative
    /// (inverse-variance up to a common factor, e.g. 1/Var(log ȳ) ≈ n·ȳ²/s²); the standard error uses the
    /// residual scatter, so the scale of the weights does not matter. The interval is exact for normal,
    /// homoscedastic (after weighting) errors on the log scale.
    /// Throws (naming the index) for a non-positive or non-finite h or y, a non-positive or non-finite weight,
    /// mismatched lengths, fewer than two points, or all h equal.
    public static func fit(h: [Double], y: [Double], weights: [Double]? = nil, level: Double = 0.95) throws -> PowerLawFit {
        try validateLevel(level)
        guard h.count == y.count else {
            throw StatisticsError("h and y must have the same length (\(h.count) vs \(y.count))")
        }
        if let w = weights, w.count != h.count {
            throw StatisticsError("weights must have the same length as h (\(w.count) vs \(h.count))")
        }
        guard h.count >= 2 else { throw StatisticsError("a power-law fit needs at least 2 points, got \(h.count)") }
        for i in h.indices {
            guard h[i].isFinite && h[i] > 0 else { throw StatisticsError("h[\(i)] must be positive and finite, got \(h[i])") }
            guard y[i].isFinite && y[i] > 0 else { throw StatisticsError("y[\(i)] must be positive and finite, got \(y[i])") }
            if let w = weights {
                guard w[i].isFinite && w[i] > 0 else { throw StatisticsError("weights[\(i)] must be positive and finite, got \(w[i])") }
            }
        }
        let x = h.map { log($0) }
        let ly = y.map { log($0) }
        let w = weights ?? [Double](repeating: 1, count: h.count)
        let sw = w.reduce(0, +)
        var xBar = 0.0, yBar = 0.0
        for i in x.indices { xBar += w[i] * x[i]; yBar += w[i] * ly[i] }
        xBar /= sw; yBar /= sw
        var sxx = 0.0, sxy = 0.0
        for i in x.indices {
            sxx += w[i] * (x[i] - xBar) * (x[i] - xBar)
            sxy += w[i] * (x[i] - xBar) * (ly[i] - yBar)
        }
        guard sxx > 0 else { throw StatisticsError("a power-law fit needs at least two distinct h values") }
        let slope = sxy / sxx
        let intercept = yBar - slope * xBar
        let n = x.count
        var se = Double.nan
        var interval: ConfidenceInterval? = nil
        if n >= 3 {
            var rss = 0.0
            for i in x.indices {
                let r = ly[i] - intercept - slope * x[i]
                rss += w[i] * r * r
            }
            // Weights are normalized to mean 1 so that σ̂² is on the scale of an unweighted residual.
            let scale = Double(n) / sw
            let sigma2 = rss * scale / Double(n - 2)
            se = (sigma2 / (sxx * scale)).squareRoot()
            let t = SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: Double(n - 2))
            interval = ConfidenceInterval(lower: slope - t * se, upper: slope + t * se, level: level)
        }
        return PowerLawFit(slope: slope, intercept: intercept, slopeStandardError: se, slopeInterval: interval,
                           pointCount: n, weighted: weights != nil)
    }

    /// The fitted curve e^intercept · h^slope.
    public func predict(_ h: Double) -> Double { exp(intercept + slope * log(h)) }
}

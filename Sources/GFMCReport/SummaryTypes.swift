import GFMCStatistics

/// A confidence interval as stored in summary.json. For order-statistic intervals a missing `lower` means −∞
/// and a missing `upper` means +∞ (the data cannot bound that side).
public struct IntervalSummary: Codable, Equatable, Sendable {
    public var lower: Double?
    public var upper: Double?
    public var level: Double

    public init(lower: Double?, upper: Double?, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    init(_ ci: ConfidenceInterval) {
        lower = ci.lower.isFinite ? ci.lower : nil
        upper = ci.upper.isFinite ? ci.upper : nil
        level = ci.level
    }

    /// upper − lower, nil when a side is unbounded.
    public var width: Double? {
        guard let l = lower, let u = upper else { return nil }
        return u - l
    }
}

/// One type-7 sample quantile.
public struct QuantileValue: Codable, Equatable, Sendable {
    public var probability: Double
    public var value: Double
}

/// Mean, spread and quantiles of one per-trial quantity over a stated population of trials.
public struct DistributionSummary: Codable, Equatable, Sendable {
    /// Number of finite values used.
    public var count: Int
    /// Arithmetic mean; absent when count = 0.
    public var mean: Double?
    /// Sample standard deviation (n − 1); absent when count < 2.
    public var standardDeviation: Double?
    /// Student-t interval for the mean; absent when count < 2.
    public var meanInterval: IntervalSummary?
    /// Type-7 quantiles at `StudySummary.quantileProbabilities`; empty when count = 0.
    public var quantiles: [QuantileValue]

    static func make(_ raw: [Double], probabilities: [Double], level: Double) -> DistributionSummary {
        let values = raw.filter { $0.isFinite }
        let sorted = values.sorted()
        let mean = values.isEmpty ? nil : Descriptive.mean(values)
        let sd = values.count >= 2 ? Descriptive.sampleStandardDeviation(values) : nil
        let ci = (try? MeanIntervals.studentT(values, level: level)) ?? nil
        let quantiles = sorted.isEmpty ? [] : probabilities.map {
            QuantileValue(probability: $0, value: Quantiles.type7(sorted: sorted, probability: $0))
        }
        return DistributionSummary(count: values.count, mean: mean, standardDeviation: sd,
                                   meanInterval: ci.map(IntervalSummary.init), quantiles: quantiles)
    }
}

/// How often an event held: k of n trials, with the point estimate k/n and two 95 % intervals.
public struct ProportionSummary: Codable, Equatable, Sendable {
    public var successes: Int
    public var trials: Int
    /// k/n; absent when n = 0.
    public var estimate: Double?
    /// Wilson score interval ([0, 1] when n = 0).
    public var wilson: IntervalSummary
    /// Clopper–Pearson exact interval ([0, 1] when n = 0).
    public var clopperPearson: IntervalSummary

    static func make(_ events: [Bool], level: Double) -> ProportionSummary {
        make(successes: events.filter { $0 }.count, trials: events.count, level: level)
    }

    /// k of n (0 ≤ k ≤ n).
    static func make(successes k: Int, trials n: Int, level: Double) -> ProportionSummary {
        // Inputs are valid by construction (0 ≤ k ≤ n, level in (0, 1)), so the intervals cannot throw.
        let w = (try? ProportionIntervals.wilson(successes: k, trials: n, level: level))
            ?? ConfidenceInterval(lower: 0, upper: 1, level: level)
        let cp = (try? ProportionIntervals.clopperPearson(successes: k, trials: n, level: level))
            ?? ConfidenceInterval(lower: 0, upper: 1, level: level)
        return ProportionSummary(successes: k, trials: n, estimate: n == 0 ? nil : Double(k) / Double(n),
                                 wilson: IntervalSummary(w), clopperPearson: IntervalSummary(cp))
    }
}

/// The empirical (1 − δ)-quantile of the operator-norm distance with its distribution-free interval.
public struct QuantileEstimate: Codable, Equatable, Sendable {
    /// 1 − δ.
    public var probability: Double
    /// Type-7 sample quantile; absent when no converged trial.
    public var value: Double?
    /// Order-statistic interval (missing lower = −∞, missing upper = +∞).
    public var interval: IntervalSummary
    /// Exact coverage of that interval for continuous data (≥ its level).
    public var exactCoverage: Double
}

/// Everything about one δ at one width.
public struct DeltaSummary: Codable, Equatable, Sendable {
    public var delta: Double
    /// Median over the width's trials of Theorem 12's right-hand side as stated (constant when the data are
    /// fixed); absent when no trial carries this δ.
    public var theorem12Bound: Double?
    /// Same with sqrt(log(2/δ)) in place of ½·log(2/δ).
    public var theorem12BoundCorrected: Double?
    /// Median Theorem 12 width threshold h0^{1/(4α−1)}.
    public var theorem12WidthThreshold: Double?
    /// Trials whose width exceeds that threshold (the theorem's hypothesis).
    public var widthExceedsThresholdTrials: Int
    /// Converged trials with distanceOperator ≤ theorem12Bound.
    public var theorem12Holds: ProportionSummary
    /// Converged trials with distanceOperator ≤ theorem12BoundCorrected.
    public var theorem12CorrectedHolds: ProportionSummary
    /// All trials: Lemma 11 (34) held at t = 0.
    public var lemma34Holds: ProportionSummary
    /// All trials: Lemma 11 (35) held at t = 0.
    public var lemma35Holds: ProportionSummary
    /// Empirical (1 − δ)-quantile of distanceOperator over converged trials.
    public var distanceQuantile: QuantileEstimate
    /// theorem12Bound / distanceQuantile.value: how many times larger the bound is than what it must cover.
    public var boundToQuantileRatio: Double?
    /// theorem12BoundCorrected / distanceQuantile.value.
    public var correctedBoundToQuantileRatio: Double?
}

/// Measured asymptotic rate against Theorem 3's guaranteed rate.
public struct RateSummary: Codable, Equatable, Sendable {
    /// Converged trials with finite measuredRate and finite, positive theorem3Rate.
    public var count: Int
    /// Median of measuredRate / theorem3Rate (≥ 1 means the guarantee is respected).
    public var medianRatio: Double?
    /// Smallest ratio (the tightest trial).
    public var minimumRatio: Double?
    public var medianMeasuredRate: Double?
    public var medianTheorem3Rate: Double?
}

/// Leading-order prediction (theory.md §6) against the measured Frobenius distance.
public struct PredictionSummary: Codable, Equatable, Sendable {
    /// Converged trials with finite predictedDistance and finite distanceFrobenius.
    public var count: Int
    public var meanPredicted: Double?
    /// Mean distanceFrobenius over the same trials.
    public var meanMeasured: Double?
    /// meanPredicted / meanMeasured (1 = perfect prediction).
    public var ratio: Double?
}

/// All statistics of one width.
public struct WidthSummary: Codable, Equatable, Sendable {
    public var width: Int
    /// Distinct trials (after dropping duplicate TrialIDs).
    public var trials: Int
    public var converged: Int
    public var nonConverged: Int
    /// Count of trials per stopReason.
    public var stopReasons: [String: Int]
    /// Converged trials only.
    public var distanceFrobenius: DistributionSummary
    /// Converged trials only.
    public var distanceOperator: DistributionSummary
    /// All trials (an initialization quantity, meaningful whether or not the run converged).
    public var initialNullSpaceCoupling: DistributionSummary
    /// All trials: Lemma 11 (33), Δ̲(0) > h^{1−2α}.
    public var lemma33Holds: ProportionSummary
    /// All trials: Theorem 3's loss bound held at every checked time of the run.
    public var theorem3Holds: ProportionSummary
    /// One entry per δ of the manifest, in its order.
    public var deltas: [DeltaSummary]
    public var rate: RateSummary
    public var prediction: PredictionSummary
}

/// A fitted power law of a mean distance against h, on log-log axes.
public struct ExponentFitSummary: Codable, Equatable, Sendable {
    /// Fitted exponent.
    public var slope: Double
    /// Natural-log intercept (log of the fitted distance at h = 1).
    public var intercept: Double
    /// Absent with only two widths.
    public var slopeStandardError: Double?
    /// t-based interval with n − 2 degrees of freedom; absent with only two widths.
    public var slopeInterval: IntervalSummary?
    /// Widths used (those with a positive finite mean distance).
    public var widths: [Int]
}

/// Across-width exponent fits next to the theory.
public struct ExponentSummary: Codable, Equatable, Sendable {
    /// −(2α − 1/2) when α is known.
    public var theoryExponent: Double?
    /// Fit of the mean Frobenius distance; absent with fewer than two usable widths.
    public var frobenius: ExponentFitSummary?
    /// Fit of the mean operator-norm distance.
    public var operatorNorm: ExponentFitSummary?
}

/// Study-wide counts.
public struct TotalsSummary: Codable, Equatable, Sendable {
    public var trials: Int
    public var converged: Int
    public var nonConverged: Int
    // Deliberately no count of dropped duplicate records: it depends on delivery (retries, resumes), and the
    // summary must be byte-identical for the same set of trials. `TrialSet.duplicatesDropped` has it.
}

/// The statistical methods used, stated in the summary itself.
public struct MethodNotes: Codable, Equatable, Sendable {
    public var quantileDefinition: String
    public var meanInterval: String
    public var proportionIntervals: String
    public var quantileInterval: String
    public var exponentFit: String
    public var boundCaveat: String

    public static let standard = MethodNotes(
        quantileDefinition: "Hyndman-Fan type 7 (linear interpolation, NumPy default, R default)",
        meanInterval: "Student t: mean +/- t(1-(1-level)/2, n-1) * sd/sqrt(n)",
        proportionIntervals: "Wilson score and Clopper-Pearson exact (beta quantiles)",
        quantileInterval: "distribution-free order-statistic interval from the binomial, equal tails, conservative",
        exponentFit: "unweighted least squares of log(mean distance) on log(h), t interval with (widths - 2) degrees of freedom",
        boundCaveat: "Theorem 12 and Lemma 11 as stated use (1/2)log(2/delta); the Gaussian tail the paper cites needs sqrt(log(2/delta)), so the stated constants are justified only for delta <= 2e^-4 (about 0.037). Both forms are reported.")
}

import Foundation
import GFMCModel
import GFMCStatistics

/// Every statistic of a study, computed from its trials. `make` is exact and independent of the order in
/// which trials are given: they are sorted by TrialID and duplicates are dropped first (see `TrialSet`),
/// and every sum then runs in that canonical order, so equal trial sets give bit-identical summaries.
public struct StudySummary: Codable, Equatable, Sendable {
    /// Version of this schema (docs/results.md); bumped on incompatible changes.
    public var schemaVersion: Int
    public var manifest: ReportManifest
    /// Confidence level of every interval in the summary (0.95).
    public var confidenceLevel: Double
    /// Probabilities of the reported distance quantiles.
    public var quantileProbabilities: [Double]
    /// How non-converged trials were treated (also shown in report.html).
    public var nonConvergedPolicy: String
    public var methods: MethodNotes
    public var totals: TotalsSummary
    /// One entry per width, increasing: the manifest's widths plus any width present in the trials.
    public var widths: [WidthSummary]
    public var exponent: ExponentSummary
    /// The verdict on the study's precision targets; absent for a study with a fixed trial count.
    public var precision: PrecisionVerdict? = nil

    public static let currentSchemaVersion = 1
    public static let defaultQuantileProbabilities = [0.05, 0.25, 0.5, 0.75, 0.95]
    public static let policy = """
        Distance statistics (means, standard deviations, quantiles, the (1 - delta)-quantile against Theorem 12, \
        the Theorem 12 hold rates, measured rates and the prediction ratio) use CONVERGED trials only: a \
        non-converged trial's distance is not the limit the theorems speak about. Non-converged trials are \
        counted per width (nonConverged, stopReasons) and are included in the initialization events (Lemma 11 \
        (33)-(35)), the Theorem 3 hold rate and initialNullSpaceCoupling, which do not depend on convergence.
        """

    /// Aggregates trials into a summary.
    /// - Parameters:
    ///   - trials: any order; duplicates by TrialID allowed (one is kept, see `TrialSet`).
    ///   - manifest: the study's manifest; its `deltas` define the per-δ entries (index i ↔ bounds[i]).
    ///   - confidenceLevel: level of every interval (default 0.95).
    public static func make(trials: [TrialResult], manifest: ReportManifest,
                            confidenceLevel: Double = 0.95) -> StudySummary {
        let set = TrialSet(trials)
        let level = confidenceLevel
        let probabilities = defaultQuantileProbabilities
        let byWidth = set.byWidth
        let widths = Array(Set(manifest.widths).union(byWidth.keys)).sorted()
        let widthSummaries = widths.map { width in
            summarizeWidth(width, trials: byWidth[width] ?? [], deltas: manifest.deltas,
                           probabilities: probabilities, level: level)
        }
        let converged = set.trials.lazy.filter(\.converged).count
        let totals = TotalsSummary(trials: set.trials.count, converged: converged,
                                   nonConverged: set.trials.count - converged)
        let exponent = ExponentSummary(
            theoryExponent: manifest.theoryExponent,
            frobenius: fitExponent(widthSummaries, level: level) { $0.distanceFrobenius.mean },
            operatorNorm: fitExponent(widthSummaries, level: level) { $0.distanceOperator.mean })
        return StudySummary(schemaVersion: currentSchemaVersion, manifest: manifest, confidenceLevel: level,
                            quantileProbabilities: probabilities, nonConvergedPolicy: policy,
                            methods: .standard, totals: totals, widths: widthSummaries, exponent: exponent)
    }

    static func summarizeWidth(_ width: Int, trials: [TrialResult], deltas: [Double],
                               probabilities: [Double], level: Double) -> WidthSummary {
        // Filtered lazily or shared, never copied: a width's trials can be hundreds of megabytes.
        let converged = trials.allSatisfy(\.converged) ? trials : trials.filter(\.converged)
        var reasonCounts: [StopReason: Int] = [:]  // hashed as enum cases, not as their texts
        for t in trials { reasonCounts[t.stopReason, default: 0] += 1 }
        let stopReasons = Dictionary(uniqueKeysWithValues: reasonCounts.map { ($0.key.rawValue, $0.value) })
        let deltaSummaries = deltas.indices.map { i in
            summarizeDelta(index: i, delta: deltas[i], all: trials, converged: converged, level: level)
        }
        return WidthSummary(
            width: width, trials: trials.count, converged: converged.count,
            nonConverged: trials.count - converged.count, stopReasons: stopReasons,
            distanceFrobenius: .make(converged.map(\.distanceFrobenius), probabilities: probabilities, level: level),
            distanceOperator: .make(converged.map(\.distanceOperator), probabilities: probabilities, level: level),
            initialNullSpaceCoupling: .make(trials.map(\.initialNullSpaceCoupling), probabilities: probabilities,
                                            level: level),
            lemma33Holds: .make(trials.map(\.lemma33Holds), level: level),
            theorem3Holds: .make(trials.map(\.theorem3Holds), level: level),
            deltas: deltaSummaries,
            rate: summarizeRate(converged),
            prediction: summarizePrediction(converged))
    }

    static func summarizeDelta(index i: Int, delta: Double, all: [TrialResult], converged: [TrialResult],
                               level: Double) -> DeltaSummary {
        // One pass over each list, collecting only the columns used (the checks are not copied).
        var bounds: [Double] = [], correctedBounds: [Double] = [], thresholds: [Double] = []
        bounds.reserveCapacity(all.count); correctedBounds.reserveCapacity(all.count); thresholds.reserveCapacity(all.count)
        var checks = 0, exceeding = 0, lemma34 = 0, lemma35 = 0
        for t in all where i < t.bounds.count {
            t.bounds.withUnsafeBufferPointer { b in
                let c = b[i]
                checks += 1
                bounds.append(c.theorem12Bound)
                correctedBounds.append(c.theorem12BoundCorrected)
                thresholds.append(c.theorem12WidthThreshold)
                if c.widthExceedsThreshold { exceeding += 1 }
                if c.lemma34Holds { lemma34 += 1 }
                if c.lemma35Holds { lemma35 += 1 }
            }
        }
        var distances: [Double] = []
        distances.reserveCapacity(converged.count)
        var convergedChecks = 0, theorem12 = 0, theorem12Corrected = 0
        for t in converged where i < t.bounds.count {
            t.bounds.withUnsafeBufferPointer { b in
                let c = b[i]
                convergedChecks += 1
                if c.theorem12Holds { theorem12 += 1 }
                if c.theorem12CorrectedHolds { theorem12Corrected += 1 }
            }
            if t.distanceOperator.isFinite { distances.append(t.distanceOperator) }
        }
        distances.sort()
        let bound = finiteMedian(bounds)
        let corrected = finiteMedian(correctedBounds)
        let p = 1 - delta
        let value = distances.isEmpty ? nil : Quantiles.type7(sorted: distances, probability: p)
        let quantile: QuantileEstimate
        if p > 0 && p < 1, let ci = try? Quantiles.orderStatisticInterval(sorted: distances, probability: p, level: level) {
            quantile = QuantileEstimate(probability: p, value: value, interval: IntervalSummary(ci.interval),
                                        exactCoverage: ci.exactCoverage)
        } else {
            quantile = QuantileEstimate(probability: p, value: value,
                                        interval: IntervalSummary(lower: nil, upper: nil, level: level),
                                        exactCoverage: 1)
        }
        return DeltaSummary(
            delta: delta, theorem12Bound: bound, theorem12BoundCorrected: corrected,
            theorem12WidthThreshold: finiteMedian(thresholds),
            widthExceedsThresholdTrials: exceeding,
            theorem12Holds: .make(successes: theorem12, trials: convergedChecks, level: level),
            theorem12CorrectedHolds: .make(successes: theorem12Corrected, trials: convergedChecks, level: level),
            lemma34Holds: .make(successes: lemma34, trials: checks, level: level),
            lemma35Holds: .make(successes: lemma35, trials: checks, level: level),
            distanceQuantile: quantile,
            boundToQuantileRatio: ratio(bound, value),
            correctedBoundToQuantileRatio: ratio(corrected, value))
    }

    static func summarizeRate(_ converged: [TrialResult]) -> RateSummary {
        let usable = converged.lazy.filter { $0.measuredRate.isFinite && $0.theorem3Rate.isFinite && $0.theorem3Rate > 0 }
        let ratios = Array(usable.map { $0.measuredRate / $0.theorem3Rate })
        return RateSummary(count: ratios.count, medianRatio: finiteMedian(ratios), minimumRatio: ratios.min(),
                           medianMeasuredRate: finiteMedian(Array(usable.map(\.measuredRate))),
                           medianTheorem3Rate: finiteMedian(Array(usable.map(\.theorem3Rate))))
    }

    static func summarizePrediction(_ converged: [TrialResult]) -> PredictionSummary {
        let usable = converged.lazy.filter { $0.predictedDistance.isFinite && $0.distanceFrobenius.isFinite }
        let predictedDistances = Array(usable.map(\.predictedDistance))
        guard !predictedDistances.isEmpty else {
            return PredictionSummary(count: 0, meanPredicted: nil, meanMeasured: nil, ratio: nil)
        }
        let predicted = Descriptive.mean(predictedDistances)
        let measured = Descriptive.mean(Array(usable.map(\.distanceFrobenius)))
        return PredictionSummary(count: predictedDistances.count, meanPredicted: predicted, meanMeasured: measured,
                                 ratio: ratio(predicted, measured))
    }

    static func fitExponent(_ widths: [WidthSummary], level: Double,
                            mean: (WidthSummary) -> Double?) -> ExponentFitSummary? {
        var hs: [Double] = [], ys: [Double] = [], used: [Int] = []
        for w in widths {
            if let m = mean(w), m.isFinite, m > 0 {
                hs.append(Double(w.width)); ys.append(m); used.append(w.width)
            }
        }
        guard let fit = try? PowerLawFit.fit(h: hs, y: ys, level: level) else { return nil }
        return ExponentFitSummary(slope: fit.slope, intercept: fit.intercept,
                                  slopeStandardError: fit.slopeStandardError.isFinite ? fit.slopeStandardError : nil,
                                  slopeInterval: fit.slopeInterval.map(IntervalSummary.init), widths: used)
    }
}

/// Median of the finite values (type 7), nil when there are none.
func finiteMedian(_ values: [Double]) -> Double? {
    var finite = values.filter { $0.isFinite }
    return finite.isEmpty ? nil : Quantiles.type7(selectingIn: &finite, probability: 0.5)
}

/// a / b when both exist, b ≠ 0 and the result is finite.
func ratio(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b, b != 0 else { return nil }
    let r = a / b
    return r.isFinite ? r : nil
}

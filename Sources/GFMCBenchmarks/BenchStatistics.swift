/// Summary of repeated timings (or any repeated measurement) of one benchmark case.
///
/// Definitions (stated so the numbers in docs/benchmarks.md are unambiguous):
/// * `median`: the middle order statistic for an odd count, the mean of the two middle ones for an even count.
/// * `lowerQuartile` / `upperQuartile`: linear interpolation between order statistics at position p·(k−1)
///   (Hyndman–Fan type 7, NumPy's and R's default), p = 0.25 and 0.75.
/// * `relativeSpread`: (max − min) / median, the spread the tables print ("±" is half of it).
/// Non-finite samples are rejected by `init` (a timing is always finite); an empty sample gives nil.
public struct BenchTimingSummary: Codable, Sendable, Equatable {
    public let count: Int
    public let median: Double
    public let minimum: Double
    public let maximum: Double
    public let mean: Double
    public let lowerQuartile: Double
    public let upperQuartile: Double

    /// nil when `samples` is empty or holds a non-finite value.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty, samples.allSatisfy({ $0.isFinite }) else { return nil }
        let s = samples.sorted()
        count = s.count
        minimum = s[0]
        maximum = s[s.count - 1]
        mean = s.reduce(0, +) / Double(s.count)
        median = Self.quantile(sorted: s, 0.5)
        lowerQuartile = Self.quantile(sorted: s, 0.25)
        upperQuartile = Self.quantile(sorted: s, 0.75)
    }

    /// (max − min) / median; 0 for a single sample; infinite when the median is 0 and the spread is not.
    public var relativeSpread: Double {
        let width = maximum - minimum
        if width == 0 { return 0 }
        return width / median
    }

    /// Type-7 quantile of an ascending, non-empty sample (p in [0, 1]). For p = 0.5 this is the usual median.
    public static func quantile(sorted s: [Double], _ p: Double) -> Double {
        precondition(!s.isEmpty, "quantile of an empty sample")
        let position = p * Double(s.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, s.count - 1)
        let fraction = position - Double(lower)
        return s[lower] + (s[upper] - s[lower]) * fraction
    }
}

/// Ratios between measured times, with the convention the tables use: `speedUp(reference:, candidate:)` is
/// how many times faster the candidate is (reference seconds / candidate seconds; > 1 means faster).
public enum BenchRatio {
    /// reference / candidate, or nil when either is missing, non-finite or not positive.
    public static func speedUp(reference: Double?, candidate: Double?) -> Double? {
        guard let r = reference, let c = candidate, r.isFinite, c.isFinite, r > 0, c > 0 else { return nil }
        return r / c
    }

    /// Extrapolated total time of a run cut short after `done` units of work (iterations) that needed `needed`:
    /// seconds · needed / done. Conservative when `seconds` includes fixed set-up cost (it is scaled too).
    /// nil when `done` ≤ 0 or `needed` < 0.
    public static func extrapolate(seconds: Double, done: Int, needed: Int) -> Double? {
        guard done > 0, needed >= 0, seconds.isFinite else { return nil }
        return seconds * Double(needed) / Double(done)
    }

    /// Extrapolated total time from two runs cut after `shortIterations` and `longIterations` that took
    /// `shortSeconds` and `longSeconds`: a fixed cost plus a cost per iteration, fitted through both points,
    /// `shortSeconds + (longSeconds − shortSeconds)/(longIterations − shortIterations) · (needed − shortIterations)`.
    /// This keeps one-off work (initial draws, final quantities) from being multiplied by the iteration count.
    /// Falls back to `extrapolate(seconds: longSeconds, done: longIterations, needed:)` when the fitted cost per
    /// iteration is not positive (timing noise). nil when the iteration counts are not increasing and positive.
    public static func extrapolate(shortSeconds: Double, shortIterations: Int, longSeconds: Double,
                                   longIterations: Int, needed: Int) -> Double? {
        guard shortIterations > 0, longIterations > shortIterations, needed >= 0,
              shortSeconds.isFinite, longSeconds.isFinite else { return nil }
        let perIteration = (longSeconds - shortSeconds) / Double(longIterations - shortIterations)
        guard perIteration > 0 else { return extrapolate(seconds: longSeconds, done: longIterations, needed: needed) }
        return max(0, shortSeconds + perIteration * Double(needed - shortIterations))
    }
}

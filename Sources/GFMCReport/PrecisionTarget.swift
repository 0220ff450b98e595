import Foundation
import GFMCModel
import GFMCStatistics

/// A per-trial yes/no event whose probability a precision target can ask to pin down.
///
/// Which trials count follows `StudySummary`: Theorem 12 events are over converged trials (the theorem
/// speaks about the limit); the initialization events of Lemma 11 and the Theorem 3 check are over all trials.
public enum TrialEvent: String, Codable, CaseIterable, Sendable {
    case theorem12Holds, theorem12CorrectedHolds, lemma33Holds, lemma34Holds, lemma35Holds, theorem3Holds

    /// Whether the event depends on δ (and so on the target's `delta`).
    public var needsDelta: Bool {
        switch self {
        case .theorem12Holds, .theorem12CorrectedHolds, .lemma34Holds, .lemma35Holds: return true
        case .lemma33Holds, .theorem3Holds: return false
        }
    }

    /// Counted over converged trials only.
    public var convergedTrialsOnly: Bool { self == .theorem12Holds || self == .theorem12CorrectedHolds }

    /// The event's value in `trial` at the δ with index `deltaIndex` (nil when that δ was not evaluated).
    public func value(in trial: TrialResult, deltaIndex: Int?) -> Bool? {
        if !needsDelta { return self == .lemma33Holds ? trial.lemma33Holds : trial.theorem3Holds }
        guard let i = deltaIndex, i < trial.bounds.count else { return nil }
        let check = trial.bounds[i]
        switch self {
        case .theorem12Holds: return check.theorem12Holds
        case .theorem12CorrectedHolds: return check.theorem12CorrectedHolds
        case .lemma34Holds: return check.lemma34Holds
        case .lemma35Holds: return check.lemma35Holds
        case .lemma33Holds, .theorem3Holds: return nil
        }
    }
}

/// Which norm a distance target refers to.
public enum DistanceNorm: String, Codable, Sendable {
    case frobenius, `operator`

    public func distance(of trial: TrialResult) -> Double {
        self == .frobenius ? trial.distanceFrobenius : trial.distanceOperator
    }
}

/// A precision a study may ask for instead of a fixed number of trials. Every target applies to every
/// width separately and is evaluated at the allocator's confidence level (0.95 by default).
public enum PrecisionTarget: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The Wilson interval of P(`event`) is at most `epsilon` wide (upper − lower). `delta` must be one of
    /// the study's δ when `event.needsDelta`, and is ignored otherwise.
    case eventProbabilityWilsonWidth(epsilon: Double, event: TrialEvent, delta: Double?)
    /// The Student-t interval of the mean distance (in `norm`) over converged trials is at most `epsilon` wide.
    case meanDistanceCIWidth(epsilon: Double, norm: DistanceNorm)

    public var description: String {
        switch self {
        case let .eventProbabilityWilsonWidth(epsilon, event, delta):
            let at = event.needsDelta ? ", delta=\(delta ?? .nan)" : ""
            return "Wilson width of P(\(event.rawValue)\(at)) <= \(epsilon)"
        case let .meanDistanceCIWidth(epsilon, norm):
            return "t-interval width of mean \(norm.rawValue) distance <= \(epsilon)"
        }
    }
}

/// How many more trials one width needs.
public struct WidthAllocation: Codable, Equatable, Sendable {
    public var width: Int
    /// Distinct trials so far (duplicates dropped).
    public var currentTrials: Int
    public var currentConverged: Int
    /// Every target is met at this width.
    public var targetsMet: Bool
    /// Trials to run next at this width (0 when the targets are met or the cap is reached).
    public var additionalTrials: Int
    /// The per-width cap stops this width although a target is not met.
    public var capReached: Bool
    /// Projected total trials for all targets to be met (before clamping to the cap and the growth limit).
    public var projectedTrials: Int
}

/// The allocator's answer for one round.
public struct AllocationPlan: Codable, Equatable, Sendable {
    /// One entry per width, increasing.
    public var widths: [WidthAllocation]

    /// True when no width needs more trials (targets met or caps reached): the study can stop.
    public var isComplete: Bool { widths.allSatisfy { $0.additionalTrials == 0 } }

    /// Trials to add at `width` (0 for an unknown width).
    public func additionalTrials(forWidth width: Int) -> Int {
        widths.first { $0.width == width }?.additionalTrials ?? 0
    }
}

/// Decides, between rounds, how many more trials each width needs to meet the precision targets.
///
/// Pure and deterministic: the plan depends only on the set of distinct trials (order and duplicates do not
/// matter) and the settings. Rules, per width:
/// * n = distinct trials, n_c = converged ones. A width with every target met gets 0.
/// * A width at or above `maximumTrialsPerWidth` gets 0 and `capReached` if a target is unmet.
/// * Otherwise each unmet target projects the number of converged trials it needs, assuming the current
///   estimate stays put: for a Wilson width, the smallest n whose Wilson width at p̃ = (k + 2)/(n_c + 4) is ≤ ε;
///   for a mean interval, the smallest n with 2·t_{n−1}·s/√n ≤ ε (s = current sample standard deviation).
///   This is divided by the observed converged fraction n_c/n to get total trials.
///   With too little data to project (n_c = 0 for a proportion, n_c < 2 for a mean) it asks for
///   `minimumBatch`.
/// * The request is at least `minimumBatch`, at most max(n, minimumBatch) (growth at most doubles a width
///   per round, so early noisy estimates cannot commit a huge batch), and at most the remaining cap.
public struct TrialAllocator: Sendable {
    public var targets: [PrecisionTarget]
    /// The study's δ values (to locate a target's δ among the trial's BoundChecks).
    public var deltas: [Double]
    /// Per-width cap on distinct trials (≥ 1).
    public var maximumTrialsPerWidth: Int
    /// Smallest batch handed to a width that needs more (≥ 1; default 8).
    public var minimumBatch: Int
    /// Confidence level of the intervals the targets refer to (default 0.95).
    public var confidenceLevel: Double

    /// Throws (naming the setting) for ε ≤ 0, a target δ not among `deltas`, a cap < 1, a batch < 1 or a
    /// level outside (0, 1).
    public init(targets: [PrecisionTarget], deltas: [Double], maximumTrialsPerWidth: Int,
                minimumBatch: Int = 8, confidenceLevel: Double = 0.95) throws {
        guard maximumTrialsPerWidth >= 1 else {
            throw StatisticsError("maximumTrialsPerWidth must be ≥ 1, got \(maximumTrialsPerWidth)")
        }
        guard minimumBatch >= 1 else { throw StatisticsError("minimumBatch must be ≥ 1, got \(minimumBatch)") }
        guard confidenceLevel > 0 && confidenceLevel < 1 else {
            throw StatisticsError("confidenceLevel must lie in (0, 1), got \(confidenceLevel)")
        }
        for target in targets {
            switch target {
            case let .eventProbabilityWilsonWidth(epsilon, event, delta):
                guard epsilon > 0 && epsilon.isFinite else {
                    throw StatisticsError("precision target epsilon must be positive, got \(epsilon)")
                }
                if event.needsDelta {
                    guard let delta, TrialAllocator.index(of: delta, in: deltas) != nil else {
                        throw StatisticsError("precision target \(event.rawValue): delta \(delta.map { "\($0)" } ?? "missing") "
                                              + "is not one of the study's deltas \(deltas)")
                    }
                }
            case let .meanDistanceCIWidth(epsilon, _):
                guard epsilon > 0 && epsilon.isFinite else {
                    throw StatisticsError("precision target epsilon must be positive, got \(epsilon)")
                }
            }
        }
        self.targets = targets
        self.deltas = deltas
        self.maximumTrialsPerWidth = maximumTrialsPerWidth
        self.minimumBatch = minimumBatch
        self.confidenceLevel = confidenceLevel
    }

    /// The plan for the next round, for every width in `widths` (plus any width present in `trials`).
    public func plan(trials: [TrialResult], widths: [Int]) -> AllocationPlan {
        let byWidth = TrialSet(trials).byWidth
        let all = Array(Set(widths).union(byWidth.keys)).sorted()
        return AllocationPlan(widths: all.map { allocate(width: $0, trials: byWidth[$0] ?? []) })
    }

    /// The allocation for one width given its trials (distinct; any order).
    public func allocate(width: Int, trials: [TrialResult]) -> WidthAllocation {
        let n = trials.count
        let converged = trials.allSatisfy(\.converged) ? trials : trials.filter(\.converged)  // shared, not copied, when all converged
        let nc = converged.count
        var allMet = true
        var neededConverged = 0      // max over unmet targets, in converged trials
        var cannotProject = false
        for target in targets {
            let (met, needed) = evaluate(target, trials: trials, converged: converged)
            if met { continue }
            allMet = false
            if let needed { neededConverged = max(neededConverged, needed) } else { cannotProject = true }
        }
        var projected = n
        if !allMet {
            if cannotProject || nc == 0 {
                projected = n + minimumBatch
            } else {
                let fraction = Double(nc) / Double(n)
                let total = (Double(neededConverged) / fraction).rounded(.up)
                projected = total >= Double(Int.max / 2) ? Int.max / 2 : max(n + 1, Int(total))
            }
        }
        var additional = 0
        var capReached = false
        if !allMet {
            if n >= maximumTrialsPerWidth {
                capReached = true
            } else {
                additional = max(projected - n, minimumBatch)
                additional = min(additional, max(n, minimumBatch))
                additional = min(additional, maximumTrialsPerWidth - n)
            }
        }
        return WidthAllocation(width: width, currentTrials: n, currentConverged: nc, targetsMet: allMet,
                               additionalTrials: additional, capReached: capReached, projectedTrials: projected)
    }

    /// Whether `target` is met, and if not the projected number of counted trials (nil: cannot project).
    /// Projections for events over all trials are also divided by the converged fraction by the caller,
    /// which can only over-ask, never stop a width short of its target.
    func evaluate(_ target: PrecisionTarget, trials: [TrialResult], converged: [TrialResult]) -> (Bool, Int?) {
        let z = SpecialFunctions.normalQuantile(1 - (1 - confidenceLevel) / 2)
        switch target {
        case let .eventProbabilityWilsonWidth(epsilon, event, delta):
            let deltaIndex = delta.flatMap { TrialAllocator.index(of: $0, in: deltas) }
            if event.needsDelta && deltaIndex == nil { return (false, nil) }
            let counted = event.convergedTrialsOnly ? converged : trials
            let events = counted.compactMap { event.value(in: $0, deltaIndex: deltaIndex) }
            let n = events.count
            guard n > 0 else { return (false, nil) }
            let k = events.filter { $0 }.count
            let ci = (try? ProportionIntervals.wilson(successes: k, trials: n, level: confidenceLevel))
            if let ci, ci.width <= epsilon { return (true, nil) }
            let p = (Double(k) + 2) / (Double(n) + 4)
            let needed = TrialAllocator.smallestN(from: n + 1) { m in
                let md = Double(m), z2 = z * z
                return 2 * z / (md + z2) * (md * p * (1 - p) + z2 / 4).squareRoot() <= epsilon
            }
            return (false, needed)
        case let .meanDistanceCIWidth(epsilon, norm):
            let values = converged.map(norm.distance(of:)).filter { $0.isFinite }
            let n = values.count
            guard n >= 2 else { return (false, nil) }
            let s = Descriptive.sampleStandardDeviation(values)
            let level = confidenceLevel
            func width(_ m: Int) -> Double {
                2 * SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: Double(m - 1))
                    * s / Double(m).squareRoot()
            }
            if width(n) <= epsilon { return (true, nil) }
            return (false, TrialAllocator.smallestN(from: n + 1, satisfying: { width($0) <= epsilon }))
        }
    }

    /// Smallest m ≥ start with `ok(m)` for a predicate that is monotone (false then true), by doubling then
    /// bisection; capped at 1e9 (returned when never satisfied).
    static func smallestN(from start: Int, satisfying ok: (Int) -> Bool) -> Int {
        let limit = 1_000_000_000
        if ok(start) { return start }
        var lo = start, hi = max(start * 2, start + 1)
        while !ok(hi) {
            lo = hi
            if hi >= limit { return limit }
            hi = min(limit, hi * 2)
        }
        // ok(hi) true, ok(lo) false.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if ok(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }

    static func index(of delta: Double, in deltas: [Double]) -> Int? {
        deltas.firstIndex { abs($0 - delta) <= 1e-12 * max(abs(delta), 1e-300) }
    }
}

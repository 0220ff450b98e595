import GFMCEngine
import GFMCModel
import GFMCReport
import GFMCStatistics
import GFMCStudy

/// Rounds of a study with a `precision` block: which trials to run, deterministically.
///
/// Round 0 is trials 0..<`min_trials_per_width` at every width. Round k+1 is what `TrialAllocator` asks for
/// given the results of rounds 0…k, as the next consecutive trial indices of each width (never beyond
/// `max_trials_per_width`). The sequence of rounds is a pure function of the study and of the results of
/// the trials of earlier rounds, so it is *replayed* from the store: a run stopped mid-round and resumed
/// issues exactly the trials the uninterrupted run would have (a trial's result does not depend on when or
/// where it ran).
///
/// Supported targets (the allocator's): `mean_distance_frobenius` (Student-t interval of the mean) and
/// `theorem12_holds` (Wilson interval); a study's `half_width` h is the allocator's interval width 2h.
public struct PrecisionRounds: Sendable {
    public let widths: [Int]
    public let initialTrialsPerWidth: Int
    public let maxTrialsPerWidth: Int
    public let allocator: TrialAllocator
    /// The study's targets as the allocator's, in the study's order.
    public let targets: [GFMCReport.PrecisionTarget]

    /// Upper bound on replayed rounds (each round adds ≥ 1 trial, so a study never needs more than
    /// widths × cap rounds; this only guards against a logic error looping forever).
    static let maximumRounds = 100_000

    /// Every statistic the study format accepts maps onto an allocator target (a half-width h becomes an
    /// interval width 2h).
    /// - Throws: `PrecisionRoundsError` with the allocator's error (naming the setting).
    public init(study: StudyDescription) throws {
        guard let precision = study.precision else {
            throw PrecisionRoundsError("the study has no `precision` block")
        }
        var targets: [GFMCReport.PrecisionTarget] = []
        for target in precision.targets {
            let epsilon = 2 * target.halfWidth
            switch target.statistic {
            case .meanDistanceFrobenius: targets.append(.meanDistanceCIWidth(epsilon: epsilon, norm: .frobenius))
            case .meanDistanceOperator: targets.append(.meanDistanceCIWidth(epsilon: epsilon, norm: .operator))
            case .theorem12Holds: targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .theorem12Holds, delta: target.delta))
            case .theorem12CorrectedHolds:
                targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .theorem12CorrectedHolds, delta: target.delta))
            case .lemma33Holds: targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .lemma33Holds, delta: nil))
            case .lemma34Holds: targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .lemma34Holds, delta: target.delta))
            case .lemma35Holds: targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .lemma35Holds, delta: target.delta))
            case .theorem3Holds: targets.append(.eventProbabilityWilsonWidth(epsilon: epsilon, event: .theorem3Holds, delta: nil))
            }
        }
        do {
            allocator = try TrialAllocator(targets: targets, deltas: study.deltas,
                                           maximumTrialsPerWidth: precision.maxTrialsPerWidth,
                                           confidenceLevel: precision.confidence)
        } catch {
            throw PrecisionRoundsError("precision: \(error)")
        }
        self.targets = targets
        widths = study.widths
        initialTrialsPerWidth = min(precision.minTrialsPerWidth, precision.maxTrialsPerWidth)
        maxTrialsPerWidth = precision.maxTrialsPerWidth
    }

    /// Round 0: trials 0..<initialTrialsPerWidth at every width.
    public var initialTrials: [TrialID] {
        widths.flatMap { w in (0..<initialTrialsPerWidth).map { TrialID(width: w, index: $0) } }
    }

    /// Replays the rounds against the stored results and returns the trials of the first round that is
    /// not finished (its trials that are neither stored nor in `skipping`), or [] when the allocator asks
    /// for nothing more (every target met or capped).
    /// - Parameter skipping: trials to treat as finished without a result (quarantined ones).
    public func pendingTrials(stored: [TrialResult], skipping: Set<TrialID> = []) -> [TrialID] {
        var byID: [TrialID: TrialResult] = [:]
        for result in stored { byID[result.id] = result }
        var issued = Set(initialTrials)
        var issuedPerWidth = Dictionary(uniqueKeysWithValues: widths.map { ($0, initialTrialsPerWidth) })
        for _ in 0..<Self.maximumRounds {
            let missing = issued.filter { byID[$0] == nil && !skipping.contains($0) }
            if !missing.isEmpty { return missing.sorted() }
            let plan = allocator.plan(trials: issued.compactMap { byID[$0] }, widths: widths)
            var next: [TrialID] = []
            for allocation in plan.widths where allocation.additionalTrials > 0 {
                let start = issuedPerWidth[allocation.width] ?? 0
                let end = min(start + allocation.additionalTrials, maxTrialsPerWidth)
                guard start < end else { continue }
                next += (start..<end).map { TrialID(width: allocation.width, index: $0) }
                issuedPerWidth[allocation.width] = end
            }
            if next.isEmpty { return [] }
            issued.formUnion(next)
        }
        return []
    }

    /// The allocator's verdict on the given results (which widths met their targets, which hit the cap).
    public func plan(results: [TrialResult]) -> AllocationPlan {
        allocator.plan(trials: results, widths: widths)
    }
}

/// A precision block the coordinator cannot run; the message names the key.
public struct PrecisionRoundsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

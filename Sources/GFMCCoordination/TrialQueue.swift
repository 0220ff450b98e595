import GFMCModel

/// Trials waiting to be handed out, served in (width, index) order: a `TrialIndexSet` (one bit per index
/// up to the largest queued, per width), so a queue of 10^8 trials costs about 12.5 MB. Popping in order
/// is amortized O(1).
struct TrialQueue: Sendable {
    private(set) var trials = TrialIndexSet()

    init(_ trials: TrialIndexSet = TrialIndexSet()) { self.trials = trials }

    var count: Int { trials.count }
    var isEmpty: Bool { trials.isEmpty }
    var first: TrialID? { trials.first }

    mutating func insert(_ trial: TrialID) { trials.insert(trial) }

    mutating func insert(contentsOf other: TrialIndexSet) { trials.formUnion(other) }

    mutating func popFirst() -> TrialID? { trials.popFirst() }

    /// Removes and returns the first trial (in (width, index) order) that satisfies `predicate`; O(count).
    mutating func popFirst(where predicate: (TrialID) -> Bool) -> TrialID? { trials.popFirst(where: predicate) }
}

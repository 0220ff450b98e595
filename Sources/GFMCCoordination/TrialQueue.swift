import GFMCModel

/// Trials waiting to be handed out, served in (width, index) order. Stored descending so the next trial
/// is popped from the end in O(1).
struct TrialQueue: Sendable {
    private var descending: [TrialID] = []

    var count: Int { descending.count }
    var isEmpty: Bool { descending.isEmpty }
    var first: TrialID? { descending.last }

    mutating func insert<S: Sequence>(contentsOf trials: S) where S.Element == TrialID {
        let before = descending.count
        descending.append(contentsOf: trials)
        if descending.count != before { descending.sort(by: >) }
    }

    mutating func popFirst() -> TrialID? { descending.popLast() }

    /// Removes and returns the first trial (in (width, index) order) that satisfies `predicate`; O(count).
    mutating func popFirst(where predicate: (TrialID) -> Bool) -> TrialID? {
        guard let position = descending.lastIndex(where: predicate) else { return nil }
        return descending.remove(at: position)
    }
}

import GFMCModel
import GFMCTestSupport
import Testing

/// `TrialIndexSet` against `Set<TrialID>` (sorted for order) as the oracle, over seeded random operation
/// sequences, plus the bulk constructors and the predicate filter against element-by-element builds.
@Suite("TrialIndexSet")
struct TrialIndexSetTests {
    /// A random trial over a few widths and indices that cross word boundaries (0…199: words 0–3).
    static func randomTrial(_ rng: inout SeededGenerator) -> TrialID {
        let widths = [3, 10, 64, 1000]
        return TrialID(width: widths[Int(rng.next() % 4)], index: Int(rng.next() % 200))
    }

    static func randomSet(_ rng: inout SeededGenerator, size: Int) -> [TrialID] {
        (0..<size).map { _ in randomTrial(&rng) }
    }

    /// Every observable of `set` equals the oracle's.
    static func expectSame(_ set: TrialIndexSet, _ oracle: Set<TrialID>, _ label: String) {
        let sorted = oracle.sorted()
        #expect(set.count == oracle.count, "\(label): count")
        #expect(set.isEmpty == oracle.isEmpty, "\(label): isEmpty")
        #expect(Array(set) == sorted, "\(label): iteration order")
        #expect(set.first == sorted.first, "\(label): first")
        #expect(set.widths == Array(Set(sorted.map(\.width))).sorted(), "\(label): widths")
        for width in [3, 10, 64, 1000, 7] {
            #expect(set.count(width: width) == oracle.filter { $0.width == width }.count, "\(label): count(width: \(width))")
        }
    }

    @Test("insert, remove, contains, popFirst and first(atOrAfter:) agree with Set<TrialID>",
          arguments: [1 as UInt64, 2, 3, 4, 5, 6])
    func randomOperations(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var set = TrialIndexSet()
        var oracle = Set<TrialID>()
        for step in 0..<3000 {
            let trial = Self.randomTrial(&rng)
            switch rng.next() % 6 {
            case 0, 1:
                let inserted = set.insert(trial)
                #expect(inserted == oracle.insert(trial).inserted, "insert \(trial) at \(step)")
            case 2:
                let removed = set.remove(trial)
                #expect(removed == (oracle.remove(trial) != nil), "remove \(trial) at \(step)")
            case 3:
                let smallest = oracle.min()
                if let smallest { oracle.remove(smallest) }
                let popped = set.popFirst()
                #expect(popped == smallest, "popFirst at \(step)")
            case 4:
                let expected = oracle.filter { $0 >= trial }.min()
                #expect(set.first(atOrAfter: trial) == expected, "first(atOrAfter: \(trial)) at \(step)")
            default:
                let predicate: (TrialID) -> Bool = { $0.index % 7 == Int(step % 7) }
                let expected = oracle.sorted().first(where: predicate)
                let popped = set.popFirst(where: predicate)
                #expect(popped == expected, "popFirst(where:) at \(step)")
                if let expected { oracle.remove(expected) }
            }
            #expect(set.contains(trial) == oracle.contains(trial))
            #expect(set.count == oracle.count)
        }
        Self.expectSame(set, oracle, "after 3000 operations (seed \(seed))")
        #expect(!set.contains(TrialID(width: 3, index: -1)), "negative indices are never members")
        let removedNegative = set.remove(TrialID(width: 3, index: -1))
        #expect(!removedNegative)
    }

    @Test("union, subtracting, intersection and == agree with Set<TrialID>", arguments: [11 as UInt64, 12, 13, 14])
    func algebra(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for round in 0..<40 {
            let a = Self.randomSet(&rng, size: Int(rng.next() % 300))
            let b = Self.randomSet(&rng, size: Int(rng.next() % 300))
            var x = TrialIndexSet(a), y = TrialIndexSet(b)
            // Popping and removing moves the scan hints; the algebra must not depend on them.
            if let p = x.popFirst() { x.insert(p) }
            if let q = b.first { y.remove(q); y.insert(q) }
            let sa = Set(a), sb = Set(b)
            Self.expectSame(x.union(y), sa.union(sb), "union, round \(round)")
            Self.expectSame(x.subtracting(y), sa.subtracting(sb), "subtracting, round \(round)")
            Self.expectSame(x.intersection(y), sa.intersection(sb), "intersection, round \(round)")
            #expect((x == y) == (sa == sb), "==, round \(round)")
            #expect(x.union(y) == y.union(x))
            #expect(x.subtracting(y).union(x.intersection(y)) == x)
        }
    }

    @Test("equality ignores storage length and emptied widths")
    func equalityIgnoresStorage() {
        var grown = TrialIndexSet([TrialID(width: 5, index: 1), TrialID(width: 9, index: 500)])
        grown.remove(TrialID(width: 9, index: 500))
        #expect(grown == [TrialID(width: 5, index: 1)])
        #expect(grown.widths == [5])
        #expect(grown.description == "{h=5: 1 trial}")
    }

    @Test("widths × range builds the same set as inserting every trial, across word edges",
          arguments: [0..<0, 0..<1, 0..<63, 0..<64, 0..<65, 1..<64, 5..<130, 63..<129, 64..<128, 100..<101])
    func rangeConstructor(indices: Range<Int>) {
        let widths = [40, 2, 40, 7]
        let bulk = TrialIndexSet(widths: widths, indices: indices)
        let oracle = Set(widths.flatMap { h in indices.map { TrialID(width: h, index: $0) } })
        Self.expectSame(bulk, oracle, "range \(indices)")
        #expect(bulk == TrialIndexSet(oracle))
    }

    @Test("the predicate constructor and filter(keeping:) keep exactly the trials the predicate accepts")
    func predicateFilter() {
        let widths = [8, 2, 32]
        // A shard: index mod 3 == 1, plus one width dropped by its position.
        let keep: (Int, Int, Int) -> Bool = { position, _, index in index % 3 == 1 && position != 2 }
        let built = TrialIndexSet(widths: widths, indices: 0..<200, keeping: keep)
        let oracle = Set([2, 8].flatMap { h in (0..<200).filter { $0 % 3 == 1 }.map { TrialID(width: h, index: $0) } })
        Self.expectSame(built, oracle, "constructor")
        let filtered = TrialIndexSet(widths: widths, indices: 0..<200).filter(keeping: keep)
        Self.expectSame(filtered, oracle, "filter")
        var rng = SeededGenerator(seed: 99)
        let random = Self.randomSet(&rng, size: 400)
        let byWidth = Array(Set(random.map(\.width))).sorted()
        let shard = TrialIndexSet(random).filter { position, width, index in
            #expect(byWidth[position] == width)
            return index % 4 == 0
        }
        Self.expectSame(shard, Set(random.filter { $0.index % 4 == 0 }), "filter of a random set")
    }

    @Test("a 20 × 5·10^6 set costs 1 bit per trial and drains in order")
    func largeSetIsCompact() {
        var set = TrialIndexSet(widths: Array(1...20), indices: 0..<5_000_000)
        #expect(set.count == 100_000_000)
        #expect(set.storageBytes == 20 * 78_125 * 8)  // 12.5 MB
        var expected = TrialID(width: 1, index: 0)
        for _ in 0..<100_000 {
            let popped = set.popFirst()
            #expect(popped == expected)
            expected = TrialID(width: 1, index: expected.index + 1)
        }
        #expect(set.count == 100_000_000 - 100_000)
        #expect(set.first(atOrAfter: TrialID(width: 1, index: 4_999_999)) == TrialID(width: 1, index: 4_999_999))
        #expect(set.first(atOrAfter: TrialID(width: 1, index: 5_000_000)) == TrialID(width: 2, index: 0))
    }
}

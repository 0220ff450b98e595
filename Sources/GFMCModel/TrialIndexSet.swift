/// A set of trials stored as one bitset per width: bit `index` of a width's row is set when
/// `TrialID(width, index)` is in the set.
///
/// Memory: a width whose largest index ever stored is `n` costs ⌈(n + 1)/64⌉ words of 8 bytes, i.e. about
/// n/8 bytes (1 bit per index up to the largest), whatever the count; rows are not shrunk when
/// elements are removed. A 10^8-trial study (20 widths × 5·10^6) costs 12.5 MB per set.
///
/// Order: iteration, `first` and `popFirst` follow the canonical order of `TrialID` (width, then index).
///
/// Indices must be ≥ 0: `insert` of a negative index traps; `contains`/`remove` of one report absence.
/// `count`, `isEmpty` and `first` are O(1) in the number of elements (O(widths)); `insert`,
/// `remove` and `contains` are O(log widths); set algebra is O(words).
public struct TrialIndexSet: Sendable, Sequence, Equatable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// One width's bitset.
    struct Row: Sendable {
        var width: Int
        var words: [UInt64]
        var count: Int
        /// Every word before this one is zero (a scan hint kept by every mutation; `first` starts here).
        var firstWord: Int

        init(width: Int, words: [UInt64] = []) {
            self.width = width
            self.words = words
            var count = 0
            for word in words { count += word.nonzeroBitCount }
            self.count = count
            self.firstWord = 0
            advanceFirstWord()
        }

        mutating func advanceFirstWord() {
            while firstWord < words.count, words[firstWord] == 0 { firstWord += 1 }
        }

        /// Smallest index in the row, nil when empty.
        var firstIndex: Int? {
            guard count > 0 else { return nil }
            var w = firstWord
            while words[w] == 0 { w += 1 }
            return w << 6 | words[w].trailingZeroBitCount
        }

        func contains(_ index: Int) -> Bool {
            guard index >= 0 else { return false }
            let w = index >> 6
            return w < words.count && words[w] & (1 << UInt64(index & 63)) != 0
        }
    }

    /// Rows sorted by width; a row may be empty (its width stays known until `compact`).
    private(set) var rows: [Row] = []
    /// Number of trials in the set.
    public private(set) var count: Int = 0

    /// The empty set.
    public init() {}

    /// The trials of `sequence` (duplicates ignored). - Precondition: every index ≥ 0.
    public init<S: Sequence>(_ sequence: S) where S.Element == TrialID {
        for trial in sequence { insert(trial) }
    }

    public init(arrayLiteral elements: TrialID...) { self.init(elements) }

    /// Every index in `indices` at every width of `widths` (repeated widths count once), without
    /// materializing the trials: whole words are filled at once.
    /// - Precondition: `indices.lowerBound` ≥ 0.
    public init<W: Sequence>(widths: W, indices: Range<Int>) where W.Element == Int {
        precondition(indices.lowerBound >= 0, "trial indices must be ≥ 0 (got \(indices.lowerBound))")
        for width in Set(widths).sorted() {
            var row = Row(width: width, words: Self.words(covering: indices))
            row.advanceFirstWord()
            count += row.count
            rows.append(row)
        }
    }

    /// The trials (width, index) with `index` in `indices`, at each width of `widths`, for which `keeping`
    /// is true; `keeping` gets the width's position in `widths` (after sorting and removing repeats)
    /// and the index. One call per candidate; no array of candidates is built.
    public init<W: Sequence>(widths: W, indices: Range<Int>,
                             keeping: (_ widthPosition: Int, _ width: Int, _ index: Int) -> Bool) where W.Element == Int {
        precondition(indices.lowerBound >= 0, "trial indices must be ≥ 0 (got \(indices.lowerBound))")
        for (position, width) in Set(widths).sorted().enumerated() {
            var words = [UInt64](repeating: 0, count: (indices.upperBound + 63) >> 6)
            for index in indices where keeping(position, width, index) {
                words[index >> 6] |= 1 << UInt64(index & 63)
            }
            let row = Row(width: width, words: words)
            count += row.count
            rows.append(row)
        }
    }

    private static func words(covering indices: Range<Int>) -> [UInt64] {
        guard !indices.isEmpty else { return [] }
        var words = [UInt64](repeating: 0, count: (indices.upperBound + 63) >> 6)
        let firstFull = (indices.lowerBound + 63) >> 6, endFull = indices.upperBound >> 6
        if firstFull < endFull {
            for w in firstFull..<endFull { words[w] = .max }
            for index in indices.lowerBound..<(firstFull << 6) { words[index >> 6] |= 1 << UInt64(index & 63) }
            for index in (endFull << 6)..<indices.upperBound { words[index >> 6] |= 1 << UInt64(index & 63) }
        } else {
            for index in indices { words[index >> 6] |= 1 << UInt64(index & 63) }
        }
        return words
    }

    // MARK: Queries

    public var isEmpty: Bool { count == 0 }

    /// The widths holding at least one trial, ascending.
    public var widths: [Int] { rows.filter { $0.count > 0 }.map(\.width) }

    /// Trials at `width`.
    public func count(width: Int) -> Int { rowPosition(width).map { rows[$0].count } ?? 0 }

    public func contains(_ trial: TrialID) -> Bool {
        guard let position = rowPosition(trial.width) else { return false }
        return rows[position].contains(trial.index)
    }

    /// The smallest trial in (width, index) order, nil when empty.
    public var first: TrialID? {
        for row in rows where row.count > 0 { return TrialID(width: row.width, index: row.firstIndex!) }
        return nil
    }

    /// The smallest trial ≥ `trial` in (width, index) order, nil when there is none.
    public func first(atOrAfter trial: TrialID) -> TrialID? {
        var position = lowerRowPosition(trial.width)
        while position < rows.count {
            let row = rows[position]
            let start = row.width == trial.width ? Swift.max(0, trial.index) : 0
            if let index = Self.nextIndex(in: row, from: start) { return TrialID(width: row.width, index: index) }
            position += 1
        }
        return nil
    }

    /// Smallest index ≥ `start` in `row`.
    private static func nextIndex(in row: Row, from start: Int) -> Int? {
        guard row.count > 0 else { return nil }
        var w = Swift.max(start >> 6, row.firstWord)
        guard w < row.words.count else { return nil }
        var word = row.words[w]
        if w == start >> 6 { word &= ~0 << UInt64(start & 63) }
        while true {
            if word != 0 { return w << 6 | word.trailingZeroBitCount }
            w += 1
            guard w < row.words.count else { return nil }
            word = row.words[w]
        }
    }

    /// Bytes held by the bitsets (the words; small per-row overheads excluded).
    public var storageBytes: Int { rows.reduce(0) { $0 + $1.words.count * 8 } }

    // MARK: Mutation

    /// Adds `trial`; true when it was not in the set. - Precondition: `trial.index` ≥ 0.
    @discardableResult
    public mutating func insert(_ trial: TrialID) -> Bool {
        precondition(trial.index >= 0, "trial indices must be ≥ 0 (got \(trial))")
        let position = rowForInsert(trial.width)
        let w = trial.index >> 6, bit: UInt64 = 1 << UInt64(trial.index & 63)
        if w >= rows[position].words.count {
            rows[position].words.append(contentsOf: repeatElement(0, count: w + 1 - rows[position].words.count))
        }
        guard rows[position].words[w] & bit == 0 else { return false }
        rows[position].words[w] |= bit
        rows[position].count += 1
        if w < rows[position].firstWord { rows[position].firstWord = w }
        count += 1
        return true
    }

    /// Removes `trial`; true when it was in the set.
    @discardableResult
    public mutating func remove(_ trial: TrialID) -> Bool {
        guard trial.index >= 0, let position = rowPosition(trial.width) else { return false }
        let w = trial.index >> 6, bit: UInt64 = 1 << UInt64(trial.index & 63)
        guard w < rows[position].words.count, rows[position].words[w] & bit != 0 else { return false }
        rows[position].words[w] &= ~bit
        rows[position].count -= 1
        if w == rows[position].firstWord { rows[position].advanceFirstWord() }
        count -= 1
        return true
    }

    /// Removes and returns the smallest trial; amortized O(1) while the set is drained in order.
    public mutating func popFirst() -> TrialID? {
        guard let position = rows.firstIndex(where: { $0.count > 0 }) else { return nil }
        rows[position].advanceFirstWord()
        let w = rows[position].firstWord
        let index = w << 6 | rows[position].words[w].trailingZeroBitCount
        rows[position].words[w] &= rows[position].words[w] - 1
        rows[position].count -= 1
        if rows[position].words[w] == 0 { rows[position].advanceFirstWord() }
        count -= 1
        return TrialID(width: rows[position].width, index: index)
    }

    /// Removes and returns the first trial in (width, index) order that satisfies `predicate`; O(count).
    public mutating func popFirst(where predicate: (TrialID) -> Bool) -> TrialID? {
        guard let found = first(where: predicate) else { return nil }
        remove(found)
        return found
    }

    public mutating func formUnion(_ other: TrialIndexSet) {
        for row in other.rows where row.count > 0 {
            let position = rowForInsert(row.width)
            var mine = rows[position]
            if mine.words.count < row.words.count {
                mine.words.append(contentsOf: repeatElement(0, count: row.words.count - mine.words.count))
            }
            var added = 0
            for w in row.firstWord..<row.words.count where row.words[w] != 0 {
                let new = row.words[w] & ~mine.words[w]
                added += new.nonzeroBitCount
                mine.words[w] |= new
            }
            mine.count += added
            mine.firstWord = Swift.min(mine.firstWord, row.firstWord)
            mine.advanceFirstWord()
            count += added
            rows[position] = mine
        }
    }

    public mutating func subtract(_ other: TrialIndexSet) {
        for row in other.rows where row.count > 0 {
            guard let position = rowPosition(row.width), rows[position].count > 0 else { continue }
            var mine = rows[position]
            var removed = 0
            let end = Swift.min(mine.words.count, row.words.count)
            var w = Swift.max(mine.firstWord, row.firstWord)
            while w < end {
                let gone = mine.words[w] & row.words[w]
                removed += gone.nonzeroBitCount
                mine.words[w] &= ~gone
                w += 1
            }
            mine.count -= removed
            mine.advanceFirstWord()
            count -= removed
            rows[position] = mine
        }
    }

    public mutating func formIntersection(_ other: TrialIndexSet) {
        for position in rows.indices where rows[position].count > 0 {
            var mine = rows[position]
            let theirs = other.rowPosition(mine.width).map { other.rows[$0].words } ?? []
            var kept = 0
            for w in mine.firstWord..<mine.words.count {
                mine.words[w] &= w < theirs.count ? theirs[w] : 0
                kept += mine.words[w].nonzeroBitCount
            }
            count -= mine.count - kept
            mine.count = kept
            mine.advanceFirstWord()
            rows[position] = mine
        }
    }

    public func union(_ other: TrialIndexSet) -> TrialIndexSet { var s = self; s.formUnion(other); return s }
    public func subtracting(_ other: TrialIndexSet) -> TrialIndexSet { var s = self; s.subtract(other); return s }
    public func intersection(_ other: TrialIndexSet) -> TrialIndexSet { var s = self; s.formIntersection(other); return s }

    /// The trials for which `keeping(widthPosition, width, index)` is true, where `widthPosition` is the
    /// width's rank among the widths holding trials. Visits only the members (word scan).
    public func filter(keeping: (_ widthPosition: Int, _ width: Int, _ index: Int) -> Bool) -> TrialIndexSet {
        var result = TrialIndexSet()
        for (position, row) in rows.filter({ $0.count > 0 }).enumerated() {
            var words = [UInt64](repeating: 0, count: row.words.count)
            for w in row.firstWord..<row.words.count {
                var word = row.words[w]
                while word != 0 {
                    let bit = word.trailingZeroBitCount
                    word &= word - 1
                    if keeping(position, row.width, w << 6 | bit) { words[w] |= 1 << UInt64(bit) }
                }
            }
            let kept = Row(width: row.width, words: words)
            result.count += kept.count
            result.rows.append(kept)
        }
        return result
    }

    // MARK: Sequence

    public struct Iterator: IteratorProtocol {
        private let rows: [Row]
        private var position = 0
        private var w = 0
        private var word: UInt64 = 0

        init(rows: [Row]) {
            self.rows = rows
            if let first = rows.first { w = first.firstWord; word = first.words.indices.contains(w) ? first.words[w] : 0 }
        }

        public mutating func next() -> TrialID? {
            while position < rows.count {
                if word != 0 {
                    let bit = word.trailingZeroBitCount
                    word &= word - 1
                    return TrialID(width: rows[position].width, index: w << 6 | bit)
                }
                w += 1
                if w < rows[position].words.count {
                    word = rows[position].words[w]
                } else {
                    position += 1
                    if position < rows.count {
                        w = rows[position].firstWord
                        word = w < rows[position].words.count ? rows[position].words[w] : 0
                    }
                }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(rows: rows) }

    public var underestimatedCount: Int { count }

    // MARK: Equality and description

    /// Same trials (storage lengths, empty rows and scan hints do not matter).
    public static func == (a: TrialIndexSet, b: TrialIndexSet) -> Bool {
        guard a.count == b.count else { return false }
        let left = a.rows.filter { $0.count > 0 }, right = b.rows.filter { $0.count > 0 }
        guard left.count == right.count else { return false }
        for (x, y) in zip(left, right) {
            guard x.width == y.width, x.count == y.count else { return false }
            let shared = Swift.min(x.words.count, y.words.count)
            for w in 0..<shared where x.words[w] != y.words[w] { return false }
            // Beyond the shared length both must be zero (counts are equal, so either side holding a bit
            // there means the other holds an extra one in the shared part, already caught).
        }
        return true
    }

    /// E.g. `{h=10: 5000 trials, h=20: 3 trials}`.
    public var description: String {
        "{" + rows.filter { $0.count > 0 }.map { "h=\($0.width): \($0.count) trial\($0.count == 1 ? "" : "s")" }
            .joined(separator: ", ") + "}"
    }

    // MARK: Rows

    /// Position of `width`'s row, nil when absent.
    private func rowPosition(_ width: Int) -> Int? {
        let position = lowerRowPosition(width)
        return position < rows.count && rows[position].width == width ? position : nil
    }

    /// First row position whose width is ≥ `width`.
    private func lowerRowPosition(_ width: Int) -> Int {
        var low = 0, high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if rows[mid].width < width { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Position of `width`'s row, created empty when absent.
    private mutating func rowForInsert(_ width: Int) -> Int {
        let position = lowerRowPosition(width)
        if position == rows.count || rows[position].width != width { rows.insert(Row(width: width), at: position) }
        return position
    }
}

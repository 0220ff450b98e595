import Foundation

/// A run directory's `trials.csv`, parsed just enough to check it: header, rows, the (width, trial) keys.
///
/// The comparisons that matter are on the raw bytes (`text`): determinism means byte-identical files.
/// Fields are split on commas; a quoted field (RFC 4180) is handled so that a free-text column cannot shift the
/// others.
struct TrialsCSV: Sendable {
    let path: String
    let text: String
    let header: [String]
    let rows: [[String]]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemTestError("no trials.csv at \(path)")
        }
        self.path = path
        text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else { throw SystemTestError("\(path) is empty (no header row)") }
        header = TrialsCSV.fields(of: first)
        rows = lines.dropFirst().map(TrialsCSV.fields(of:))
        for (number, row) in rows.enumerated() where row.count != header.count {
            throw SystemTestError("\(path) line \(number + 2) has \(row.count) fields, the header \(header.count)")
        }
    }

    /// Convenience: `directory/trials.csv`.
    init(runDirectory: String) throws { try self.init(path: runDirectory + "/trials.csv") }

    func columnIndex(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw SystemTestError("\(path): no column '\(name)' in header \(header.joined(separator: ","))")
        }
        return index
    }

    /// The (width, trial) of every row, in file order.
    func keys() throws -> [TrialKey] {
        let widthColumn = try columnIndex("width")
        let trialColumn = try columnIndex("trial")
        return try rows.enumerated().map { number, row in
            guard let width = Int(row[widthColumn]), let trial = Int(row[trialColumn]) else {
                throw SystemTestError("\(path) line \(number + 2): width '\(row[widthColumn])' / trial '\(row[trialColumn])' are not integers")
            }
            return TrialKey(width: width, trial: trial)
        }
    }

    /// Keys that occur more than once.
    func duplicateKeys() throws -> [TrialKey] {
        var seen = Set<TrialKey>()
        var duplicates: [TrialKey] = []
        for key in try keys() where !seen.insert(key).inserted { duplicates.append(key) }
        return duplicates
    }

    /// nil when `self` and `other` are byte-identical; otherwise where they first differ (line number and both
    /// lines), for an expectation's message.
    func firstDifference(from other: TrialsCSV) -> String? {
        if text == other.text { return nil }
        let mine = text.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = other.text.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(mine.count, theirs.count) {
            let a = index < mine.count ? String(mine[index]) : "<end of file>"
            let b = index < theirs.count ? String(theirs[index]) : "<end of file>"
            if a != b {
                return "\(path) and \(other.path) differ first at line \(index + 1) (of \(mine.count) / \(theirs.count)):\n  \(a)\n  \(b)"
            }
        }
        return "\(path) and \(other.path) differ (same lines, different bytes)"
    }

    /// Splits one CSV line into fields (double quotes group; "" inside quotes is a quote).
    static func fields(of line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else if character != "\r" {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

/// The build (gfmc version and numerics fingerprint) that computed a trial.
public struct BuildIdentity: Hashable, Sendable, CustomStringConvertible {
    public var version: String
    /// A string that changes whenever the numbers a build computes could change (for example the hash of a
    /// short deterministic reference trial).
    public var fingerprint: String

    public init(version: String, fingerprint: String) {
        self.version = version
        self.fingerprint = fingerprint
    }

    public var description: String { "gfmc \(version) (numerics \(fingerprint))" }
}

/// In-memory mirror of the store's small shared tables (`labels`, `bound_values`, `builds`): maps a text,
/// bound list or build to its id and back, inserting what is new inside the caller's transaction.
/// After a rolled-back transaction call `reload`, since ids handed out in it no longer exist.
final class StoreDictionaries {
    private(set) var labelIDs: [String: Int64] = [:]
    private(set) var labelTexts: [Int64: String] = [:]
    private(set) var boundSetIDs: [[UInt64]: Int64] = [:]
    private(set) var boundSets: [Int64: [BoundValues]] = [:]
    private(set) var buildIDs: [BuildIdentity: Int64] = [:]
    private(set) var builds: [Int64: BuildIdentity] = [:]

    /// Reads all three tables. Rows that do not read (a damaged store) are left out: trials that refer to
    /// them fail to decode and are reported by name.
    func reload(_ connection: SQLiteConnection) throws {
        labelIDs = [:]; labelTexts = [:]; boundSetIDs = [:]; boundSets = [:]; buildIDs = [:]; builds = [:]
        try connection.forEachRow("SELECT id, text FROM labels", [], operation: "read labels") { row in
            guard case .integer(let id) = row[0], case .text(let text) = row[1] else { return }
            labelIDs[text] = id
            labelTexts[id] = text
        }
        try connection.forEachRow("SELECT id, version, fingerprint FROM builds", [], operation: "read builds") { row in
            guard case .integer(let id) = row[0], case .text(let v) = row[1], case .text(let f) = row[2] else { return }
            let build = BuildIdentity(version: v, fingerprint: f)
            buildIDs[build] = id
            builds[id] = build
        }
        var lists: [Int64: [(Int64, BoundValues)]] = [:]
        let columns = BoundValues.columns.joined(separator: ", ")
        try connection.forEachRow("SELECT set_id, position, \(columns), exact_bits FROM bound_values", [],
                                  operation: "read bound values") { row in
            guard case .integer(let set) = row[0], case .integer(let position) = row[1] else { return }
            var doubles = row[2..<(2 + BoundValues.columns.count)].compactMap(ExactReal.value)
            guard doubles.count == BoundValues.columns.count, ExactBits.apply(row[row.count - 1], to: &doubles)
            else { return }
            lists[set, default: []].append((position, BoundValues(doubles: doubles)))
        }
        for (set, entries) in lists {
            let sorted = entries.sorted { $0.0 < $1.0 }
            guard sorted.map(\.0) == Array(0..<Int64(sorted.count)) else { continue }
            let values = sorted.map(\.1)
            boundSets[set] = values
            boundSetIDs[values.flatMap(\.bits)] = set
        }
    }

    /// The id of `text`, inserted when new.
    func labelID(_ text: String, _ connection: SQLiteConnection) throws -> Int64 {
        if let id = labelIDs[text] { return id }
        try connection.query("INSERT INTO labels(text) VALUES (?)", [.text(text)], operation: "intern label")
        let id = connection.lastInsertRowID
        labelIDs[text] = id
        labelTexts[id] = text
        return id
    }

    /// The id of the bound list, inserted when new; nil for an empty list.
    func boundSetID(_ values: [BoundValues], _ connection: SQLiteConnection) throws -> Int64? {
        if values.isEmpty { return nil }
        let key = values.flatMap(\.bits)
        if let id = boundSetIDs[key] { return id }
        let id = (boundSets.keys.max() ?? 0) + 1
        let columns = BoundValues.columns.joined(separator: ", ")
        let marks = Array(repeating: "?", count: BoundValues.columns.count + 3).joined(separator: ", ")
        for (position, value) in values.enumerated() {
            try connection.query("INSERT INTO bound_values(set_id, position, \(columns), exact_bits) VALUES (\(marks))",
                                 [.integer(id), .integer(Int64(position))] + value.doubles.map(ExactReal.column)
                                    + [ExactBits.encode(value.doubles)],
                                 operation: "record bound values")
        }
        boundSetIDs[key] = id
        boundSets[id] = values
        return id
    }

    /// The id of `build`, inserted when new.
    func buildID(_ build: BuildIdentity, _ connection: SQLiteConnection) throws -> Int64 {
        if let id = buildIDs[build] { return id }
        try connection.query("INSERT INTO builds(version, fingerprint) VALUES (?, ?)",
                             [.text(build.version), .text(build.fingerprint)], operation: "record build")
        let id = connection.lastInsertRowID
        buildIDs[build] = id
        builds[id] = build
        return id
    }
}

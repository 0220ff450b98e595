import Foundation
import GFMCModel

/// How many trials `StudyStore.importTrials(from:)` copied and found already present.
public struct StoreImportCount: Equatable, Sendable {
    /// Trials copied (new to this store).
    public var imported = 0
    /// Trials this store already held, identical to the source's apart from `wallSeconds`.
    public var identicalDuplicates = 0

    public init(imported: Int = 0, identicalDuplicates: Int = 0) {
        self.imported = imported
        self.identicalDuplicates = identicalDuplicates
    }
}

/// A trial held by both stores of an import with different results: they cannot both be the pure function
/// of the study and the trial that a result must be, so one store is damaged or from another build.
public struct StoreImportConflict: Error, Sendable, CustomStringConvertible {
    public let trial: TrialID
    /// The `TrialResult` fields (JSON keys) whose values differ.
    public let fields: [String]
    public var description: String {
        "trial \(trial) (width \(trial.width), index \(trial.index)) differs between the stores in "
            + fields.joined(separator: ", ")
    }
}

extension StudyStore {
    /// Copies every trial of `source` into this store in ONE durable transaction, keeping each trial's
    /// worker, attempt, recording time and build. A trial this store already holds is compared instead:
    /// identical apart from `wallSeconds` (every other field bit for bit; a NaN equals a NaN) counts as a
    /// duplicate and is skipped; anything else throws `StoreImportConflict` naming the trial and the fields,
    /// and nothing of this import is kept. Quarantine entries and events are not copied.
    /// - Throws: `StoreError.notInitialized` when this store holds no study; `StoreImportConflict`;
    ///   `StoreError.corruptRecord` naming a source trial that does not decode.
    @discardableResult
    public func importTrials(from source: StudyStore) throws -> StoreImportCount {
        try requireWritable()
        try source.requireCurrentSchema()
        var count = StoreImportCount()
        let sourceColumns = StoreSchema.resultColumns + ", worker, attempt, recorded_at, build"
        let resultWidth = TrialRowCodec.columns.count
        do {
            try connection.transaction("import trials from \(source.path)") {
                guard try readStudy() != nil else { throw StoreError.notInitialized(path: path) }
                let rows = try SQLiteStatement(source.connection, "SELECT \(sourceColumns) FROM trials ORDER BY width, trial",
                                               operation: "read trials to import")
                while try rows.step() {
                    let row = rows.row()
                    let result = try source.decodeRow(Array(row.prefix(resultWidth)))
                    let extra = row.suffix(from: resultWidth).map { $0 }
                    let worker = extra[0].int.flatMap { source.dictionaries.labelTexts[Int64($0)] } ?? ""
                    let build = extra[3].int.flatMap { source.dictionaries.builds[Int64($0)] }
                    let inserted = try insert([result], worker: worker, attempt: extra[1].int ?? 1,
                                              recordedAtMilliseconds: Int64(extra[2].int ?? 0), build: build)
                    if inserted == 1 {
                        count.imported += 1
                        continue
                    }
                    guard let held = try storedResult(result.id) else { continue }
                    let differing = try Self.differingFields(held, result)
                    guard differing.isEmpty else { throw StoreImportConflict(trial: result.id, fields: differing) }
                    count.identicalDuplicates += 1
                }
            }
        } catch {
            try? dictionaries.reload(connection)
            throw error
        }
        return count
    }

    /// The stored result of one trial, or nil.
    public func storedResult(_ trial: TrialID) throws -> TrialResult? {
        try requireCurrentSchema()
        let rows = try connection.query("SELECT \(StoreSchema.resultColumns) FROM trials WHERE width = ? AND trial = ?",
                                        [.integer(Int64(trial.width)), .integer(Int64(trial.index))],
                                        operation: "read trial \(trial)")
        return try rows.first.map(decodeRow)
    }

    /// The JSON keys of `TrialResult` whose values differ between `a` and `b`, `wallSeconds` (measured, not
    /// reproducible) aside; empty when they are identical. Identity is decided on the lossless JSON form
    /// (`TrialResultCoding`): doubles bit for bit (-0.0 differs from 0.0), except that every NaN is the same
    /// NaN. When only such a bit-level difference separates them, the answer is `["(bit pattern of a number)"]`.
    public static func differingFields(_ a: TrialResult, _ b: TrialResult) throws -> [String] {
        func json(_ result: TrialResult) throws -> Data {
            var r = result
            r.wallSeconds = 0
            return try TrialResultCoding.encoder().encode(r)
        }
        func text(_ value: Any) -> String {
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        let x = try json(a), y = try json(b)
        if x == y { return [] }
        let u = (try JSONSerialization.jsonObject(with: x) as? [String: Any]) ?? [:]
        let v = (try JSONSerialization.jsonObject(with: y) as? [String: Any]) ?? [:]
        let fields = Set(u.keys).union(v.keys).sorted().filter { key in
            guard let p = u[key], let q = v[key] else { return true }
            return text(p) != text(q)
        }
        return fields.isEmpty ? ["(bit pattern of a number)"] : fields
    }
}

import Foundation
import GFMCModel

/// Upgrades an older store in place, inside one transaction (an interrupted migration leaves the old
/// store as it was).
enum StoreMigration {
    /// Schema 1 → 2: every `trials.result_json` text is decoded (`TrialResultCoding`) and written as a typed
    /// row with its worker, attempt and time. A text that does not decode is set aside (table `set_aside`,
    /// and an event), so the trial is recomputed. The quarantine and event tables are kept as they are.
    static func fromVersion1(_ store: StudyStore) throws {
        let connection = store.connection
        let decoder = TrialResultCoding.decoder()
        var migrated = 0, setAside = 0
        do {
            try connection.transaction("migrate schema 1 to \(StoreSchema.version)") {
                try connection.execute("ALTER TABLE trials RENAME TO trials_v1", operation: "migrate: rename trials")
                try connection.execute(StoreSchema.create, operation: "migrate: create schema")
                try connection.forEachRow("""
                    SELECT width, trial, result_json, worker, attempt, recorded_at FROM trials_v1 ORDER BY recorded_at
                    """, [], operation: "migrate: read trials") { row in
                    let trial = "h=\(row[0].int.map(String.init) ?? "?")#\(row[1].int.map(String.init) ?? "?")"
                    do {
                        let result = try decoder.decode(TrialResult.self, from: Data((row[2].string ?? "").utf8))
                        guard result.id.width == row[0].int, result.id.index == row[1].int else {
                            throw TrialRowCodec.RowProblem("the JSON is of trial \(result.id)")
                        }
                        let at = Int64(((row[5].double ?? 0) * 1000).rounded())
                        migrated += try store.insert([result], worker: row[3].string ?? "", attempt: row[4].int ?? 1,
                                                     recordedAtMilliseconds: at, build: nil)
                    } catch {
                        setAside += 1
                        try connection.query("INSERT INTO set_aside(width, trial, reason, at) VALUES (?, ?, ?, ?)",
                                             [row[0].int.map { .integer(Int64($0)) } ?? .null,
                                              row[1].int.map { .integer(Int64($0)) } ?? .null,
                                              .text("migration: stored result of \(trial) does not decode: \(error)"),
                                              .real(Date().timeIntervalSince1970)],
                                             operation: "migrate: set aside")
                    }
                }
                try connection.execute("DROP TABLE trials_v1", operation: "migrate: drop old trials")
                try store.setStudyValue("schema_version", String(StoreSchema.version))
                try store.logEvent(kind: "migrate", detail: "schema 1 -> \(StoreSchema.version): \(migrated) trials"
                                   + (setAside > 0 ? ", \(setAside) undecodable set aside to be recomputed" : ""))
            }
        } catch {
            try? store.dictionaries.reload(connection)
            throw error
        }
        // Give the old text rows' pages back to the file system.
        try connection.execute("VACUUM", operation: "migrate: vacuum")
    }
}

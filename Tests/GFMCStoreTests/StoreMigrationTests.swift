import CSQLite
import Foundation
import Testing
import GFMCModel
import GFMCStore

/// Runs SQL on a file with the SQLite C API directly (fixtures the store itself would never write).
func rawSQL(_ path: String, _ sql: String) throws {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { throw FixtureError(message: "cannot open \(path)") }
    defer { sqlite3_close(db) }
    var message: UnsafeMutablePointer<CChar>?
    if sqlite3_exec(db, sql, nil, nil, &message) != SQLITE_OK {
        let text = message.map { String(cString: $0) } ?? "?"
        sqlite3_free(message)
        throw FixtureError(message: "\(text) in: \(sql.prefix(200))")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// SQL text literal.
func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

/// A store exactly as schema version 1 wrote it: one JSON text per trial in a WITHOUT ROWID table.
func writeVersion1Store(path: String, studyHash: String, results: [TrialResult], extraRows: [String] = []) throws {
    var sql = """
        PRAGMA journal_mode=WAL;
        BEGIN;
        CREATE TABLE study(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE trials(
            width INTEGER NOT NULL, trial INTEGER NOT NULL, converged INTEGER NOT NULL,
            result_json TEXT NOT NULL, worker TEXT NOT NULL, attempt INTEGER NOT NULL,
            recorded_at REAL NOT NULL, PRIMARY KEY(width, trial)) WITHOUT ROWID;
        CREATE TABLE quarantine(
            task_id TEXT PRIMARY KEY, trial_ids TEXT NOT NULL, reason TEXT NOT NULL,
            workers TEXT NOT NULL, attempts INTEGER NOT NULL, at REAL NOT NULL);
        CREATE TABLE events(
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
        PRAGMA user_version = 1;
        INSERT INTO study VALUES ('study_hash', \(quoted(studyHash))), ('resolved_study_json', '{"v":1}'),
            ('gfmc_version_created', 'old'), ('gfmc_version_last', 'old'), ('schema_version', '1');
        INSERT INTO quarantine VALUES ('t-9', '[[3,99]]', 'crashed', '["a","b"]', 3, 1000.5);
        INSERT INTO events(at, kind, detail) VALUES (1000.25, 'start', '10 of 10 trials to run');

        """
    for (k, r) in results.enumerated() {
        sql += "INSERT INTO trials VALUES (\(r.id.width), \(r.id.index), \(r.converged ? 1 : 0), "
            + "\(quoted(try TrialResultCoding.encode(r))), 'old-worker-\(k % 2)', 1, \(1_700_000_000 + k).5);\n"
    }
    sql += extraRows.joined(separator: "\n") + "\nCOMMIT;"
    try rawSQL(path, sql)
}

@Suite struct StoreMigrationTests {
    @Test func aVersion1StoreIsMigratedOnOpenKeepingEveryTrial() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        var results = (0..<10).map { sampleResult(width: 3, index: $0, converged: $0 != 4) }
        results[2].finalLoss = .infinity
        results[3].measuredRate = .nan
        results[5].bounds = []
        // A row whose JSON the old code could not have decoded either: set aside to be recomputed.
        let damaged = "INSERT INTO trials VALUES (3, 10, 1, '{\"id\": 5}', 'w', 1, 1700000100.0);"
        try writeVersion1Store(path: path, studyHash: "study-1", results: results, extraRows: [damaged])

        // Read-only openers read the study and the counts, and are told which command migrates the results.
        let old = try StudyStore.open(path: path, readOnly: true)
        #expect(try old.storedStudy()?.studyHash == "study-1")
        #expect(try old.count() == 11)
        #expect(try old.quarantinedTrialIDs() == [TrialID(width: 3, index: 99)])
        #expect {
            _ = try old.allResults()
        } throws: { error in
            guard case .needsMigration(let p, 1)? = error as? StoreError else { return false }
            return p == path && "\(error)".contains("gfmc repair")
        }

        let store = try StudyStore.open(path: path)
        #expect(try store.storedStudy()?.schemaVersion == StudyStore.schemaVersion)
        #expect(try store.storedStudy()?.studyHash == "study-1")
        // The JSON form keeps NaN as a canonical NaN, which is what the migrated row holds.
        #expect(try store.allResults().map(exactFields) == results.map(exactFields))
        #expect(try store.recordedTrialIDs() == Set(results.map(\.id)))
        #expect(try store.recordedTrials() == TrialIndexSet(results.map(\.id)))
        #expect(try store.setAsideTrials().map(\.trial) == [TrialID(width: 3, index: 10)])
        #expect(try store.quarantined().map(\.taskID) == ["t-9"])
        let kinds = try store.recentEvents(limit: 10).map(\.kind)
        #expect(kinds.first == "start" && kinds.contains("migrate"))
        // It keeps working as a store of the current schema, and a reader now opens it.
        try store.initialize(studyHash: "study-1", resolvedStudyJSON: "{}", version: "new")
        #expect(try store.record([sampleResult(width: 3, index: 10)], worker: "w", attempt: 1) == 1)
        store.close()
        #expect(try StudyStore.open(path: path, readOnly: true).count() == 11)
    }
}

import Foundation
import GFMCEngine

/// The durable journal of one study: which trials are done and their results, quarantined tasks
/// and a small event log, in one SQLite file in WAL mode.
///
/// **Durability:** a writer uses `journal_mode=WAL` and `synchronous=FULL`, so when
/// ``record(_:worker:attempt:)`` returns, the batch is on disk (a coordinator acknowledges results
/// only after that). **Concurrency:** one connection per owner; a `StudyStore` is not thread-safe.
/// Any number of read-only stores (`gfmc status`, `gfmc report`) may read while one writer writes;
/// a busy timeout (default 5 s) absorbs brief lock contention.
///
/// **Schema (version 1, also stored as `PRAGMA user_version`):**
/// ```sql
/// study(key TEXT PRIMARY KEY, value TEXT)
///     -- keys: study_hash, resolved_study_json, gfmc_version_created, gfmc_version_last, schema_version
/// trials(width INTEGER, trial INTEGER, converged INTEGER (0/1), result_json TEXT,
///        worker TEXT, attempt INTEGER, recorded_at REAL (Unix seconds), PRIMARY KEY(width, trial))
///     -- result_json: TrialResultCoding's JSON (sorted keys, "nan"/"inf"/"-inf" for non-finite)
/// quarantine(task_id TEXT PRIMARY KEY, trial_ids TEXT (JSON [[width, index], …]), reason TEXT,
///            workers TEXT (JSON array of strings), attempts INTEGER, at REAL (Unix seconds))
/// events(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL (Unix seconds), kind TEXT, detail TEXT)
/// ```
public final class StudyStore {
    /// The schema version this gfmc writes and reads.
    public static let schemaVersion = 1

    public let path: String
    public let isReadOnly: Bool
    private let connection: SQLiteConnection
    private let encoder = TrialResultCoding.encoder()
    private let decoder = TrialResultCoding.decoder()

    /// Opens (a writer creates) the store at `path`.
    /// - Parameters:
    ///   - readOnly: open an existing store for reading only (never creates or changes the file).
    ///   - busyTimeoutMilliseconds: how long a call waits for another connection's lock.
    /// - Throws: `StoreError.sqlite` naming the path (missing file in read-only mode, not a
    ///   database, …), `.notAStudyStore`, `.unsupportedSchema`.
    public static func open(path: String, readOnly: Bool = false,
                            busyTimeoutMilliseconds: Int32 = 5000) throws -> StudyStore {
        try StudyStore(path: path, readOnly: readOnly, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    public init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        self.isReadOnly = readOnly
        connection = try SQLiteConnection(path: path, readOnly: readOnly,
                                          busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        let version = try connection.query("PRAGMA user_version", operation: "read schema version")
            .first?.first?.int ?? 0
        if version > StudyStore.schemaVersion {
            throw StoreError.unsupportedSchema(path: path, found: version, supported: StudyStore.schemaVersion)
        }
        if readOnly {
            if version == 0 {
                throw StoreError.notAStudyStore(path: path, reason: "no gfmc schema (empty or foreign database)")
            }
            return
        }
        if version == 0 {
            let tables = try connection.query("SELECT count(*) FROM sqlite_master", operation: "inspect schema")
                .first?.first?.int ?? 0
            if tables > 0 {
                throw StoreError.notAStudyStore(path: path, reason: "the database has other tables")
            }
        }
        let mode = try connection.query("PRAGMA journal_mode=WAL", operation: "enable WAL")
            .first?.first?.string ?? ""
        guard mode.lowercased() == "wal" else {
            throw StoreError.sqlite(path: path, operation: "enable WAL", code: 0,
                                    message: "journal mode is \"\(mode)\", not \"wal\"")
        }
        try connection.execute("PRAGMA synchronous=FULL", operation: "set synchronous=FULL")
        if version == 0 { try createSchema() }
    }

    private func createSchema() throws {
        try connection.transaction("create schema") {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS study(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trials(
                    width INTEGER NOT NULL, trial INTEGER NOT NULL, converged INTEGER NOT NULL,
                    result_json TEXT NOT NULL, worker TEXT NOT NULL, attempt INTEGER NOT NULL,
                    recorded_at REAL NOT NULL, PRIMARY KEY(width, trial)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS quarantine(
                    task_id TEXT PRIMARY KEY, trial_ids TEXT NOT NULL, reason TEXT NOT NULL,
                    workers TEXT NOT NULL, attempts INTEGER NOT NULL, at REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS events(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                    detail TEXT NOT NULL);
                PRAGMA user_version = \(StudyStore.schemaVersion);
                """, operation: "create schema")
        }
    }

    /// Closes the connection (idempotent); later calls throw `StoreError.closed`.
    public func close() { connection.close() }

    private func requireWritable() throws {
        if isReadOnly { throw StoreError.readOnly(path: path) }
    }

    // MARK: Study identity

    /// Binds the store to a study. On a fresh store records the hash, resolved JSON and version.
    /// On a store of the same study, only notes the version now writing (logged if it changed).
    /// - Throws: `StoreError.studyMismatch` when the store holds another study's hash.
    public func initialize(studyHash: String, resolvedStudyJSON: String, version: String) throws {
        try requireWritable()
        try connection.transaction("initialize study") {
            if let stored = try readStudy() {
                guard stored.studyHash == studyHash else {
                    throw StoreError.studyMismatch(stored: stored.studyHash, requested: studyHash,
                                                   storedJSON: stored.resolvedStudyJSON)
                }
                if stored.lastVersion != version {
                    try setStudyValue("gfmc_version_last", version)
                    try insertEvent(StoreEvent(at: Date(), kind: "version",
                                               detail: "gfmc \(stored.lastVersion) -> \(version)"))
                }
                return
            }
            try setStudyValue("study_hash", studyHash)
            try setStudyValue("resolved_study_json", resolvedStudyJSON)
            try setStudyValue("gfmc_version_created", version)
            try setStudyValue("gfmc_version_last", version)
            try setStudyValue("schema_version", String(StudyStore.schemaVersion))
        }
    }

    /// The recorded study, or nil before `initialize`.
    public func storedStudy() throws -> StoredStudy? {
        try readStudy()
    }

    private func readStudy() throws -> StoredStudy? {
        var values: [String: String] = [:]
        for row in try connection.query("SELECT key, value FROM study", operation: "read study") {
            if let key = row[0].string, let value = row[1].string { values[key] = value }
        }
        guard let hash = values["study_hash"] else { return nil }
        return StoredStudy(studyHash: hash, resolvedStudyJSON: values["resolved_study_json"] ?? "",
                           createdByVersion: values["gfmc_version_created"] ?? "",
                           lastVersion: values["gfmc_version_last"] ?? "",
                           schemaVersion: Int(values["schema_version"] ?? "") ?? 0)
    }

    private func setStudyValue(_ key: String, _ value: String) throws {
        try connection.query("INSERT OR REPLACE INTO study(key, value) VALUES (?, ?)",
                             [.text(key), .text(value)], operation: "write study \(key)")
    }

    // MARK: Trials

    /// Records a batch of results in ONE durable transaction. Idempotent: a trial already in the
    /// store (or repeated within the batch) is ignored; the first recording wins.
    /// - Returns: how many trials were new.
    /// - Throws: `StoreError.notInitialized` before `initialize`; `.sqlite` (nothing recorded).
    @discardableResult
    public func record(_ results: [TrialResult], worker: String, attempt: Int) throws -> Int {
        try requireWritable()
        if results.isEmpty { return 0 }
        let rows = try results.map { result -> [SQLValue] in
            let json: String
            do {
                json = String(decoding: try encoder.encode(result), as: UTF8.self)
            } catch {
                throw StoreError.encoding(path: path, trial: result.id.description, message: "\(error)")
            }
            return [.integer(Int64(result.id.width)), .integer(Int64(result.id.index)),
                    .integer(result.converged ? 1 : 0), .text(json), .text(worker),
                    .integer(Int64(attempt)), .real(Date().timeIntervalSince1970)]
        }
        return try connection.transaction("record \(results.count) results") {
            guard try readStudy() != nil else { throw StoreError.notInitialized(path: path) }
            var inserted = 0
            for row in rows {
                try connection.query("""
                    INSERT OR IGNORE INTO trials(width, trial, converged, result_json, worker, attempt, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, row, operation: "record trial")
                inserted += connection.changes
            }
            return inserted
        }
    }

    /// The identities of all recorded trials.
    public func recordedTrialIDs() throws -> Set<TrialID> {
        var ids = Set<TrialID>()
        try connection.forEachRow("SELECT width, trial FROM trials", [], operation: "read trial ids") { row in
            if let width = row[0].int, let index = row[1].int { ids.insert(TrialID(width: width, index: index)) }
        }
        return ids
    }

    /// All recorded results, sorted by (width, trial).
    /// - Throws: `StoreError.corruptRecord` naming the trial if a stored JSON does not decode.
    public func allResults() throws -> [TrialResult] {
        try results(where: "", [])
    }

    /// The recorded results at one width, sorted by trial index.
    public func results(width: Int) throws -> [TrialResult] {
        try results(where: "WHERE width = ?", [.integer(Int64(width))])
    }

    private func results(where clause: String, _ parameters: [SQLValue]) throws -> [TrialResult] {
        var results: [TrialResult] = []
        try connection.forEachRow("SELECT width, trial, result_json FROM trials \(clause) ORDER BY width, trial",
                                  parameters, operation: "read results") { row in
            let trial = "h=\(row[0].int ?? -1)#\(row[1].int ?? -1)"
            guard let json = row[2].string else {
                throw StoreError.corruptRecord(path: path, trial: trial, message: "missing result JSON")
            }
            do {
                results.append(try decoder.decode(TrialResult.self, from: Data(json.utf8)))
            } catch {
                throw StoreError.corruptRecord(path: path, trial: trial, message: "\(error)")
            }
        }
        return results
    }

    /// Number of recorded trials.
    public func count() throws -> Int {
        try connection.query("SELECT count(*) FROM trials", operation: "count trials").first?.first?.int ?? 0
    }

    /// Recorded and converged trial counts per width, by increasing width.
    public func countsByWidth() throws -> [WidthCount] {
        try connection.query("""
            SELECT width, count(*), coalesce(sum(converged), 0) FROM trials GROUP BY width ORDER BY width
            """, operation: "count trials by width").map {
            WidthCount(width: $0[0].int ?? 0, recorded: $0[1].int ?? 0, converged: $0[2].int ?? 0)
        }
    }

    // MARK: Quarantine

    /// Records (or replaces, by task id) a quarantined task. Durable on return.
    public func recordQuarantine(_ entry: QuarantineEntry) throws {
        try requireWritable()
        let trials = String(decoding: try JSONEncoder().encode(entry.trials.map { [$0.width, $0.index] }),
                            as: UTF8.self)
        let workers = String(decoding: try JSONEncoder().encode(entry.workers), as: UTF8.self)
        try connection.query("""
            INSERT OR REPLACE INTO quarantine(task_id, trial_ids, reason, workers, attempts, at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, [.text(entry.taskID), .text(trials), .text(entry.reason), .text(workers),
                  .integer(Int64(entry.attempts)), .real(entry.at.timeIntervalSince1970)],
            operation: "record quarantine")
    }

    /// All quarantined tasks, oldest first.
    public func quarantined() throws -> [QuarantineEntry] {
        try connection.query("""
            SELECT task_id, trial_ids, reason, workers, attempts, at FROM quarantine ORDER BY at, task_id
            """, operation: "read quarantine").map { row in
            let taskID = row[0].string ?? ""
            let pairs = (try? JSONDecoder().decode([[Int]].self, from: Data((row[1].string ?? "").utf8))) ?? []
            let trials = pairs.compactMap { $0.count == 2 ? TrialID(width: $0[0], index: $0[1]) : nil }
            let workers = (try? JSONDecoder().decode([String].self, from: Data((row[3].string ?? "").utf8))) ?? []
            return QuarantineEntry(taskID: taskID, trials: trials, reason: row[2].string ?? "", workers: workers,
                                   attempts: row[4].int ?? 0,
                                   at: Date(timeIntervalSince1970: row[5].double ?? 0))
        }
    }

    /// Identities of all trials in quarantined tasks that have no recorded result.
    public func quarantinedTrialIDs() throws -> Set<TrialID> {
        let recorded = try recordedTrialIDs()
        return Set(try quarantined().flatMap(\.trials)).subtracting(recorded)
    }

    // MARK: Events

    /// Appends one event to the log.
    public func logEvent(kind: String, detail: String, at: Date = Date()) throws {
        try requireWritable()
        try insertEvent(StoreEvent(at: at, kind: kind, detail: detail))
    }

    private func insertEvent(_ event: StoreEvent) throws {
        try connection.query("INSERT INTO events(at, kind, detail) VALUES (?, ?, ?)",
                             [.real(event.at.timeIntervalSince1970), .text(event.kind), .text(event.detail)],
                             operation: "log event")
    }

    /// The last `limit` events in the order they were logged (oldest first).
    public func recentEvents(limit: Int) throws -> [StoreEvent] {
        try connection.query("""
            SELECT at, kind, detail FROM (SELECT id, at, kind, detail FROM events ORDER BY id DESC LIMIT ?)
            ORDER BY id
            """, [.integer(Int64(max(0, limit)))], operation: "read events").map {
            StoreEvent(at: Date(timeIntervalSince1970: $0[0].double ?? 0), kind: $0[1].string ?? "",
                       detail: $0[2].string ?? "")
        }
    }
}

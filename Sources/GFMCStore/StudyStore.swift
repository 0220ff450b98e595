import Foundation
import GFMCModel

/// The durable journal of one study: which trials are done and their results (typed columns, see
/// `StoreSchema`), quarantined trials, the builds that computed them and a small event log, in one
/// SQLite file in WAL mode.
///
/// **Durability:** a writer uses `journal_mode=WAL` and `synchronous=FULL`, so when
/// ``record(_:worker:attempt:build:)`` returns, the batch is on disk (a coordinator counts and
/// acknowledges results only after that; `GroupCommit` batches many results into one commit).
/// **Concurrency:** one connection per owner; a `StudyStore` is not thread-safe. Any number of
/// read-only stores (`gfmc status`, `gfmc report`) may read while one writer writes; a busy timeout
/// (default 5 s) absorbs brief lock contention.
///
/// **Older stores:** a store of schema version 1 (one JSON text per trial) is migrated when a writer
/// opens it (`StoreMigration`); a read-only store of it reads the study, trial ids and counts, and
/// refuses to read results with `StoreError.needsMigration`.
public final class StudyStore {
    /// The schema version this gfmc writes and reads.
    public static let schemaVersion = StoreSchema.version

    public let path: String
    public let isReadOnly: Bool
    let connection: SQLiteConnection
    let dictionaries = StoreDictionaries()
    /// Schema of the file as opened: older than `schemaVersion` only in a read-only store of an older
    /// gfmc, whose study, trial ids and counts read as usual but whose results need a migration.
    public private(set) var openedSchemaVersion: Int
    private var insertStatement: SQLiteStatement?
    /// Set once a transaction has seen the study row (never removed once written), so `record` reads the
    /// study, which may hold megabytes of inline data, once per connection rather than once per commit.
    private var studyRowSeen = false

    /// Opens (a writer creates) the store at `path`.
    /// - Parameters:
    ///   - readOnly: open an existing store for reading only (never creates or changes the file).
    ///   - busyTimeoutMilliseconds: how long a call waits for another connection's lock.
    /// - Throws: `StoreError.sqlite` naming the path (missing file in read-only mode, not a
    ///   database, …), `.notAStudyStore`, `.unsupportedSchema`, `.needsMigration` (read-only open of
    ///   an older store).
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
        openedSchemaVersion = version
        if version > StudyStore.schemaVersion {
            throw StoreError.unsupportedSchema(path: path, found: version, supported: StudyStore.schemaVersion)
        }
        if readOnly {
            if version == 0 {
                throw StoreError.notAStudyStore(path: path, reason: "no gfmc schema (empty or foreign database)")
            }
            if version == StudyStore.schemaVersion { try dictionaries.reload(connection) }
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
        if version == 0 {
            try connection.transaction("create schema") {
                try connection.execute(StoreSchema.create, operation: "create schema")
            }
            openedSchemaVersion = StudyStore.schemaVersion
        }
        if version == 1 {
            try StoreMigration.fromVersion1(self)
            openedSchemaVersion = StudyStore.schemaVersion
        } else {
            try dictionaries.reload(connection)
        }
    }

    /// Closes the connection (idempotent); later calls throw `StoreError.closed`.
    public func close() {
        insertStatement = nil
        connection.close()
    }

    func requireWritable() throws {
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

    func readStudy() throws -> StoredStudy? {
        var values: [String: String] = [:]
        for row in try connection.query("SELECT key, value FROM study", operation: "read study") {
            if let key = row[0].string, let value = row[1].string { values[key] = value }
        }
        guard let hash = values["study_hash"] else { return nil }
        return StoredStudy(studyHash: hash, resolvedStudyJSON: values["resolved_study_json"] ?? "",
                           createdByVersion: values["gfmc_version_created"] ?? "",
                           lastVersion: values["gfmc_version_last"] ?? "",
                           schemaVersion: Int(values["schema_version"] ?? "") ?? 0,
                           trialDefinitionHash: values["trial_definition_hash"])
    }

    func setStudyValue(_ key: String, _ value: String) throws {
        try connection.query("INSERT OR REPLACE INTO study(key, value) VALUES (?, ?)",
                             [.text(key), .text(value)], operation: "write study \(key)")
    }

    // MARK: Trials

    /// Records a batch of results in ONE durable transaction. Idempotent: a trial already in the
    /// store (or repeated within the batch) is ignored; the first recording wins.
    /// - Parameters:
    ///   - worker: who computed them (stored interned; shown by reports and repairs).
    ///   - build: the build that computed them (nil: not recorded).
    /// - Returns: how many trials were new.
    /// - Throws: `StoreError.notInitialized` before `initialize`; `.sqlite` (nothing recorded).
    @discardableResult
    public func record(_ results: [TrialResult], worker: String, attempt: Int, build: BuildIdentity? = nil) throws -> Int {
        try record([RecordBatch(results: results, worker: worker, attempt: attempt, build: build)])
    }

    /// Results from one worker, one of the batches a single commit holds.
    public struct RecordBatch: Sendable {
        public var results: [TrialResult]
        public var worker: String
        public var attempt: Int
        public var build: BuildIdentity?

        public init(results: [TrialResult], worker: String, attempt: Int = 1, build: BuildIdentity? = nil) {
            self.results = results
            self.worker = worker
            self.attempt = attempt
            self.build = build
        }
    }

    /// Records several batches in ONE durable transaction (see `record(_:worker:attempt:build:)`).
    /// - Returns: how many trials were new.
    @discardableResult
    public func record(_ batches: [RecordBatch]) throws -> Int {
        try requireWritable()
        if batches.allSatisfy({ $0.results.isEmpty }) { return 0 }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        do {
            return try connection.transaction("record results") {
                if !studyRowSeen {
                    guard try readStudy() != nil else { throw StoreError.notInitialized(path: path) }
                    studyRowSeen = true
                }
                var inserted = 0
                for batch in batches {
                    inserted += try insert(batch.results, worker: batch.worker, attempt: batch.attempt,
                                           recordedAtMilliseconds: now, build: batch.build)
                }
                return inserted
            }
        } catch {
            try? dictionaries.reload(connection)
            throw error
        }
    }

    /// Inserts results inside the caller's transaction; returns how many were new.
    func insert(_ results: [TrialResult], worker: String, attempt: Int, recordedAtMilliseconds: Int64,
                build: BuildIdentity?) throws -> Int {
        if insertStatement == nil {
            let columns = StoreSchema.insertColumns
            insertStatement = try SQLiteStatement(connection, """
                INSERT OR IGNORE INTO trials(\(columns.joined(separator: ", ")))
                VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                """, operation: "record trial")
        }
        guard let statement = insertStatement else { throw StoreError.closed(path: path) }
        let workerID = try dictionaries.labelID(worker, connection)
        let buildID = try build.map { try dictionaries.buildID($0, connection) }
        var inserted = 0
        for result in results {
            let labels = try TrialRowCodec.labels(of: result).map { try dictionaries.labelID($0, connection) }
            let boundSet = try dictionaries.boundSetID(result.bounds.map(BoundValues.init), connection)
            let row = TrialRowCodec.encode(result, labelIDs: labels, boundSet: boundSet)
                + [.integer(workerID), .integer(Int64(attempt)), .integer(recordedAtMilliseconds),
                   buildID.map { .integer($0) } ?? .null]
            try statement.run(row)
            inserted += connection.changes
        }
        return inserted
    }

    /// The recorded trials with a non-negative index (every trial a study can define), read with one
    /// cursor over the (width, trial) index without decoding any result: about 1 bit per index of memory.
    public func recordedTrials() throws -> TrialIndexSet {
        let statement = try SQLiteStatement(connection, "SELECT width, trial FROM trials ORDER BY width, trial",
                                            operation: "read trial ids")
        var trials = TrialIndexSet()
        while try statement.step() {
            if let width = statement.integer(0), let index = statement.integer(1), index >= 0,
               let w = Int(exactly: width), let i = Int(exactly: index) {
                trials.insert(TrialID(width: w, index: i))
            }
        }
        return trials
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
    /// - Throws: `StoreError.corruptRecord` naming the trial if a stored row does not decode.
    public func allResults() throws -> [TrialResult] {
        var results: [TrialResult] = []
        try forEachResult { results.append($0) }
        return results
    }

    /// The recorded results at one width, sorted by trial index.
    public func results(width: Int) throws -> [TrialResult] {
        var results: [TrialResult] = []
        try forEachResult(width: width) { results.append($0) }
        return results
    }

    /// Calls `body` with every recorded result (at one width, or all widths when nil) in (width, trial)
    /// order, one at a time: memory does not grow with the store.
    /// - Throws: `StoreError.corruptRecord` naming the first trial that does not decode.
    /// Only the trials in `scope` are read (default: all).
    public func forEachResult(width: Int? = nil, scope: TrialScope = .all, _ body: (TrialResult) throws -> Void) throws {
        try requireCurrentSchema()
        var conditions = scope.conditions
        var bindings = scope.bindings
        if let width {
            conditions.append("width = ?")
            bindings.append(.integer(Int64(width)))
        }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let statement = try SQLiteStatement(connection, """
            SELECT \(StoreSchema.resultColumns) FROM trials \(clause) ORDER BY width, trial
            """, operation: "read results")
        try statement.bind(bindings)
        while try statement.step() {
            try body(try decodeRow(column: statement.value, count: statement.columnCount))
        }
    }

    /// Decodes one row read in `TrialRowCodec.columns` order.
    func decodeRow(_ row: [SQLValue]) throws -> TrialResult {
        try decodeRow(column: { row[$0] }, count: row.count)
    }

    /// Decodes one row of `count` columns in `TrialRowCodec.columns` order, column `i` being `column(i)`.
    /// A row that refers to a label or bound list this connection has not seen (another connection wrote
    /// it since) triggers one reload of the shared tables.
    func decodeRow(column row: (Int) -> SQLValue, count: Int) throws -> TrialResult {
        func decode() throws -> TrialResult {
            guard count == TrialRowCodec.columns.count else {
                throw TrialRowCodec.RowProblem("\(count) columns, expected \(TrialRowCodec.columns.count)")
            }
            return try TrialRowCodec.decode(column: row, label: { self.dictionaries.labelTexts[$0] },
                                            boundSet: { self.dictionaries.boundSets[$0] })
        }
        do {
            do {
                return try decode()
            } catch is TrialRowCodec.RowProblem {
                try dictionaries.reload(connection)
                return try decode()
            }
        } catch let problem as TrialRowCodec.RowProblem {
            let trial = "h=\(count > 0 ? row(0).int.map(String.init) ?? "?" : "?")#\(count > 1 ? row(1).int.map(String.init) ?? "?" : "?")"
            throw StoreError.corruptRecord(path: path, trial: trial, message: problem.description)
        }
    }

    /// Throws `needsMigration` for a read-only store of an older schema.
    func requireCurrentSchema() throws {
        if openedSchemaVersion < StudyStore.schemaVersion {
            throw StoreError.needsMigration(path: path, found: openedSchemaVersion)
        }
    }

    /// The widths that have recorded trials, increasing.
    public func recordedWidths() throws -> [Int] {
        try connection.query("SELECT DISTINCT width FROM trials ORDER BY width", operation: "read widths")
            .compactMap { $0.first?.int }
    }

    /// How many trials each build computed (trials without a recorded build are left out).
    public func trialCountsByBuild() throws -> [BuildIdentity: Int] {
        try requireCurrentSchema()
        var counts: [BuildIdentity: Int] = [:]
        try connection.forEachRow("SELECT build, count(*) FROM trials WHERE build IS NOT NULL GROUP BY build", [],
                                  operation: "count trials by build") { row in
            guard case .integer(let id) = row[0], let build = dictionaries.builds[id] else { return }
            counts[build, default: 0] += row[1].int ?? 0
        }
        return counts
    }

    /// The build recorded for one trial (nil: not recorded or no such trial).
    public func build(of trial: TrialID) throws -> BuildIdentity? {
        try requireCurrentSchema()
        let rows = try connection.query("SELECT build FROM trials WHERE width = ? AND trial = ?",
                                        [.integer(Int64(trial.width)), .integer(Int64(trial.index))],
                                        operation: "read build of trial")
        guard case .integer(let id)? = rows.first?.first else { return nil }
        return dictionaries.builds[id]
    }

    /// Number of recorded trials (in `scope`; default all).
    public func count(scope: TrialScope = .all) throws -> Int {
        let clause = scope.conditions.isEmpty ? "" : " WHERE " + scope.conditions.joined(separator: " AND ")
        return try connection.query("SELECT count(*) FROM trials" + clause, scope.bindings, operation: "count trials")
            .first?.first?.int ?? 0
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

    /// Identities of all quarantined trials (per-task and per-trial entries) that have no recorded result.
    public func quarantinedTrialIDs() throws -> Set<TrialID> {
        let recorded = try recordedTrials()
        let perTrial = openedSchemaVersion < StudyStore.schemaVersion ? [] : try quarantinedTrials().map(\.trial)
        return Set(try quarantined().flatMap(\.trials) + perTrial).filter { !recorded.contains($0) }
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

/// The SQL layout of a study store (schema version 2, also `PRAGMA user_version`).
///
/// ```sql
/// study(key TEXT PRIMARY KEY, value TEXT)
///     -- study_hash, trial_definition_hash, resolved_study_json, gfmc_version_created, gfmc_version_last,
///        schema_version (trial_definition_hash is added to older stores by StudyStore.adoptStudy),
///        shard ("I/N" when the directory serves one shard of the study; absent otherwise)
/// labels(id INTEGER PRIMARY KEY, text TEXT UNIQUE)     -- interned engine/method/stop-reason/worker texts
/// builds(id INTEGER PRIMARY KEY, version TEXT, fingerprint TEXT, UNIQUE(version, fingerprint))
/// bound_values(set_id INTEGER, position INTEGER, delta REAL, lemma34_bound REAL, lemma35_bound REAL,
///              theorem12_bound REAL, theorem12_bound_corrected REAL, theorem12_width_threshold REAL,
///              exact_bits BLOB, PRIMARY KEY(set_id, position))
///     -- each distinct list of trial-independent BoundCheck values once (TrialRowCodec)
/// trials(id INTEGER PRIMARY KEY,                       -- insertion order: pages fill densely
///        width, trial, engine, method, stop_reason (labels ids), converged, theorem3_holds, lemma33_holds,
///        steps, rhs_evaluations INTEGER, 21 REAL columns of TrialResult (NULL = NaN),
///        bound_set INTEGER (bound_values.set_id, NULL = no bounds), bound_flags BLOB (one byte per δ),
///        exact_bits BLOB (ExactBits; NULL on almost every row),
///        worker INTEGER (labels id), attempt INTEGER, recorded_at INTEGER (Unix milliseconds),
///        build INTEGER (builds id, NULL = not recorded))
///     UNIQUE INDEX trials_by_trial(width, trial)
/// quarantine(task_id TEXT PRIMARY KEY, trial_ids TEXT, reason TEXT, workers TEXT, attempts INTEGER, at REAL)
/// quarantined_trials(width INTEGER, trial INTEGER, reason TEXT, hosts TEXT (JSON array), attempts INTEGER,
///                    at REAL, PRIMARY KEY(width, trial))
/// set_aside(id INTEGER PRIMARY KEY, width INTEGER, trial INTEGER, reason TEXT, at REAL)
///     -- damaged trials removed by `repair` (they are recomputed)
/// events(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL, kind TEXT, detail TEXT)
/// ```
/// Schema version 1 (one JSON text per trial) is migrated by `StoreMigration` when a writer opens it.
enum StoreSchema {
    static let version = 2

    static var trialsTable: String {
        let doubles = TrialRowCodec.doubleColumns.map { "\($0.name) REAL" }.joined(separator: ", ")
        return """
            CREATE TABLE trials(
                id INTEGER PRIMARY KEY, width INTEGER NOT NULL, trial INTEGER NOT NULL,
                engine INTEGER NOT NULL, method INTEGER NOT NULL, stop_reason INTEGER NOT NULL,
                converged INTEGER NOT NULL, theorem3_holds INTEGER NOT NULL, lemma33_holds INTEGER NOT NULL,
                steps INTEGER NOT NULL, rhs_evaluations INTEGER NOT NULL, \(doubles),
                bound_set INTEGER, bound_flags BLOB, exact_bits BLOB,
                worker INTEGER NOT NULL, attempt INTEGER NOT NULL, recorded_at INTEGER NOT NULL, build INTEGER);
            CREATE UNIQUE INDEX trials_by_trial ON trials(width, trial);
            """
    }

    static var create: String {
        let bounds = BoundValues.columns.map { "\($0) REAL" }.joined(separator: ", ")
        return """
            CREATE TABLE IF NOT EXISTS study(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE labels(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
            CREATE TABLE builds(id INTEGER PRIMARY KEY, version TEXT NOT NULL, fingerprint TEXT NOT NULL,
                                UNIQUE(version, fingerprint));
            CREATE TABLE bound_values(set_id INTEGER NOT NULL, position INTEGER NOT NULL, \(bounds),
                                      exact_bits BLOB, PRIMARY KEY(set_id, position));
            \(trialsTable)
            CREATE TABLE IF NOT EXISTS quarantine(
                task_id TEXT PRIMARY KEY, trial_ids TEXT NOT NULL, reason TEXT NOT NULL,
                workers TEXT NOT NULL, attempts INTEGER NOT NULL, at REAL NOT NULL);
            CREATE TABLE quarantined_trials(
                width INTEGER NOT NULL, trial INTEGER NOT NULL, reason TEXT NOT NULL, hosts TEXT NOT NULL,
                attempts INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY(width, trial));
            CREATE TABLE set_aside(id INTEGER PRIMARY KEY, width INTEGER, trial INTEGER, reason TEXT NOT NULL,
                                   at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS events(
                id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
            PRAGMA user_version = \(version);
            """
    }

    /// The columns of `trials` a reader selects, in `TrialRowCodec.columns` order.
    static var resultColumns: String { TrialRowCodec.columns.joined(separator: ", ") }

    /// Every column of `trials` a writer sets, in the order of `StudyStore`'s insert.
    static var insertColumns: [String] { TrialRowCodec.columns + ["worker", "attempt", "recorded_at", "build"] }
}

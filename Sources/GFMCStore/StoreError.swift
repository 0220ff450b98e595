import GFMCModel

/// Errors of the study store. Every case that concerns a file names its path; SQLite failures carry
/// `sqlite3_errmsg`'s text.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An SQLite call failed (`code` is the extended result code).
    case sqlite(path: String, operation: String, code: Int32, message: String)
    /// The store belongs to another study (different identity hash). `storedJSON` is the resolved
    /// study the store was created for, so the caller can show what changed.
    case studyMismatch(stored: String, requested: String, storedJSON: String)
    /// The file opens but is not a gfmc study store (no schema, or a read-only open of an empty file).
    case notAStudyStore(path: String, reason: String)
    /// The store was written by a newer gfmc with a schema this version does not know.
    case unsupportedSchema(path: String, found: Int, supported: Int)
    /// The store was written by an older gfmc (schema `found`); opening it for writing migrates it
    /// (`gfmc repair DIR` does only that).
    case needsMigration(path: String, found: Int)
    /// The integrity check found problems (`problems` lists the first of them); `gfmc repair DIR`
    /// keeps every sound trial and sets the damaged ones aside to be recomputed.
    case damaged(path: String, problems: [String])
    /// A write was attempted through a read-only store.
    case readOnly(path: String)
    /// `initialize` has not been called on this store yet.
    case notInitialized(path: String)
    /// A stored trial result could not be decoded.
    case corruptRecord(path: String, trial: String, message: String)
    /// A result could not be encoded (should not happen for `TrialResult`).
    case encoding(path: String, trial: String, message: String)
    /// The store was closed.
    case closed(path: String)

    public var description: String {
        switch self {
        case let .sqlite(path, operation, code, message):
            "study store \(path): \(operation) failed: \(message) (SQLite code \(code))"
        case let .studyMismatch(stored, requested, _):
            "the store belongs to another study (stored study hash \(stored), requested \(requested))"
        case let .notAStudyStore(path, reason):
            "\(path) is not a gfmc study store: \(reason)"
        case let .unsupportedSchema(path, found, supported):
            "study store \(path) has schema version \(found); this gfmc supports up to \(supported)"
        case let .needsMigration(path, found):
            "study store \(path) has the older schema version \(found); run `gfmc repair DIR` on its run directory "
                + "(or resume the study with `gfmc run` or `gfmc coordinator`) to migrate it to version \(StoreSchema.version)"
        case let .damaged(path, problems):
            "study store \(path) is damaged: \(problems.prefix(5).joined(separator: "; "))"
                + (problems.count > 5 ? " (and \(problems.count - 5) more)" : "")
                + "; run `gfmc repair DIR` on its run directory to keep every sound trial and recompute the rest"
        case .readOnly(let path):
            "study store \(path) was opened read-only"
        case .notInitialized(let path):
            "study store \(path) has no study recorded yet"
        case let .corruptRecord(path, trial, message):
            "study store \(path): stored result of trial \(trial) cannot be decoded: \(message)"
        case let .encoding(path, trial, message):
            "study store \(path): result of trial \(trial) cannot be encoded: \(message)"
        case .closed(let path):
            "study store \(path) is closed"
        }
    }
}

import Foundation
import GFMCEngine
import GFMCStore

/// Reads a run directory's SQLite study store directly (read-only, through GFMCStore's public API): an
/// oracle for "every trial recorded exactly once" that does not go through `trials.csv` or `gfmc status`.
enum StoreProbe {
    /// The run directory's store: its one `*.sqlite` / `*.db` file.
    static func storePath(in runDirectory: String) throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        let stores = names.filter { $0.hasSuffix(".sqlite") || $0.hasSuffix(".db") || $0.hasSuffix(".sqlite3") }.sorted()
        guard stores.count == 1 else {
            throw SystemTestError("expected one SQLite store in \(runDirectory), found \(stores) among \(names.sorted())")
        }
        return runDirectory + "/" + stores[0]
    }

    /// The trials in the store, as `trials.csv` keys.
    static func recordedKeys(in runDirectory: String) throws -> [TrialKey] {
        let store = try StudyStore(path: try storePath(in: runDirectory), readOnly: true)
        defer { store.close() }
        return try store.recordedTrialIDs().map { TrialKey(width: $0.width, trial: $0.index) }.sorted()
    }

    /// Number of trial rows in the store (each trial is one row: the store's key is the trial).
    static func count(in runDirectory: String) throws -> Int {
        let store = try StudyStore(path: try storePath(in: runDirectory), readOnly: true)
        defer { store.close() }
        return try store.count()
    }
}

import Foundation
import GFMCModel

/// Reading a whole store one width at a time, for reports over more trials than fit in memory.
extension StudyStore {
    /// Runs `body` inside one read transaction: every read in it sees the same snapshot of the store, even
    /// while a coordinator keeps recording (WAL readers never block the writer).
    public func withReadSnapshot<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN", operation: "begin read snapshot")
        defer { try? connection.execute("COMMIT", operation: "end read snapshot") }
        return try body()
    }

    /// Calls `body` once per recorded width, in increasing width order, with that width's results sorted
    /// by trial index. Holds one width's results at a time (one cursor over the `(width, trial)` index).
    /// - Throws: `StoreError.corruptRecord` naming the first trial that does not decode; `body`'s errors.
    public func forEachWidth(_ body: (Int, [TrialResult]) throws -> Void) throws {
        var width: Int?
        var group: [TrialResult] = []
        try forEachResult { result in
            if let w = width, w != result.id.width {
                try body(w, group)
                group.removeAll(keepingCapacity: true)
            }
            width = result.id.width
            group.append(result)
        }
        if let width { try body(width, group) }
    }

    /// Number of converged trials whose measured rate and Theorem 3 rate are both finite and positive
    /// (the trials report.html's rate scatter can show).
    public func countConvergedWithPositiveRates() throws -> Int {
        try requireCurrentSchema()
        // NaN is stored as NULL (comparisons false); +inf compares above the largest finite double.
        return try connection.query("""
            SELECT count(*) FROM trials WHERE converged = 1
              AND measured_rate > 0 AND measured_rate <= 1.7976931348623157e308
              AND theorem3_rate > 0 AND theorem3_rate <= 1.7976931348623157e308
            """, operation: "count scatter trials").first?.first?.int ?? 0
    }
}

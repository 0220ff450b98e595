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
    /// Only the trials in `scope` are read (default: all).
    public func forEachWidth(scope: TrialScope = .all, _ body: (Int, [TrialResult]) throws -> Void) throws {
        var width: Int?
        var group: [TrialResult] = []
        // Two buffers take turns: once `body` has handed width w + 1's array on (a caller working on another
        // thread, as the report does), it no longer holds width w's, whose memory is then filled again
        // instead of a fresh allocation (hundreds of megabytes a width, each page faulted in and zeroed).
        var spare: [TrialResult] = []
        try forEachResult(scope: scope) { result in
            if let w = width, w != result.id.width {
                try body(w, group)
                swap(&group, &spare)
                group.removeAll(keepingCapacity: true)
            }
            width = result.id.width
            group.append(result)
        }
        if let width { try body(width, group) }
    }

    /// Number of converged trials whose measured rate and Theorem 3 rate are both finite and positive
    /// (the trials report.html's rate scatter can show).
    /// Only trials in `scope` count (default: all).
    public func countConvergedWithPositiveRates(scope: TrialScope = .all) throws -> Int {
        try requireCurrentSchema()
        let extra = scope.conditions.map { " AND " + $0 }.joined()
        // NaN is stored as NULL (comparisons false); +inf compares above the largest finite double.
        return try connection.query("""
            SELECT count(*) FROM trials WHERE converged = 1
              AND measured_rate > 0 AND measured_rate <= 1.7976931348623157e308
              AND theorem3_rate > 0 AND theorem3_rate <= 1.7976931348623157e308\(extra)
            """, scope.bindings, operation: "count scatter trials").first?.first?.int ?? 0
    }
}

/// Which stored trials a read covers: a study's own trials when the store also keeps trials outside it (after
/// the study shrank, or trials of widths it no longer lists).
public struct TrialScope: Equatable, Sendable {
    /// Only these widths (nil: every width).
    public var widths: [Int]?
    /// Only trial indices below this (nil: every index).
    public var trialsPerWidth: Int?

    public init(widths: [Int]? = nil, trialsPerWidth: Int? = nil) {
        self.widths = widths
        self.trialsPerWidth = trialsPerWidth
    }

    /// Every stored trial.
    public static let all = TrialScope()

    /// Whether `trial` is in the scope.
    public func contains(_ trial: TrialID) -> Bool {
        (widths?.contains(trial.width) ?? true) && (trialsPerWidth.map { trial.index < $0 } ?? true)
    }

    /// SQL conditions on `trials` (joined with AND), their parameters in `bindings`.
    var conditions: [String] {
        var c: [String] = []
        if let widths { c.append("width IN (" + Array(repeating: "?", count: widths.count).joined(separator: ", ") + ")") }
        if trialsPerWidth != nil { c.append("trial < ?") }
        return c
    }

    var bindings: [SQLValue] {
        (widths ?? []).map { .integer(Int64($0)) } + (trialsPerWidth.map { [.integer(Int64($0))] } ?? [])
    }
}

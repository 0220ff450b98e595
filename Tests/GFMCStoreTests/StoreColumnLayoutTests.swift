import CSQLite
import Foundation
import GFMCModel
import GFMCStore
import Testing

/// The on-disk meaning of each REAL column of `trials`: stores written by one gfmc are read by another, so a
/// field must land in the column of its name (a round trip through the store alone cannot tell, since a
/// consistent swap of two fields on write and read would still give the value back).
@Suite("Store column layout")
struct StoreColumnLayoutTests {
    /// The schema's contract, written out independently of the store's code (immutable; key paths are not `Sendable`).
    nonisolated(unsafe) static let columns: [(String, KeyPath<TrialResult, Double>)] = [
        ("final_time", \.finalTime), ("wall_seconds", \.wallSeconds), ("distance_frobenius", \.distanceFrobenius),
        ("distance_operator", \.distanceOperator), ("distance_frobenius_direct", \.distanceFrobeniusDirect),
        ("distance_operator_direct", \.distanceOperatorDirect),
        ("initial_null_space_coupling", \.initialNullSpaceCoupling), ("initial_loss", \.initialLoss),
        ("final_loss", \.finalLoss), ("optimal_loss", \.optimalLoss), ("effective_imbalance", \.effectiveImbalance),
        ("delta_plus", \.deltaPlus), ("delta_minus", \.deltaMinus), ("margin", \.margin),
        ("rate_constant", \.rateConstant), ("theorem3_rate", \.theorem3Rate), ("measured_rate", \.measuredRate),
        ("imbalance_drift", \.imbalanceDrift), ("lemma34_quantity", \.lemma34Quantity),
        ("lemma35_quantity", \.lemma35Quantity), ("predicted_distance", \.predictedDistance),
    ]

    @Test("every double field is stored in the column named after it, and read back from it")
    func doublesLandInTheirNamedColumns() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let result = sampleResult(width: 7, index: 3)  // every field a different value
        #expect(Set(Self.columns.map { result[keyPath: $0.1] }).count == Self.columns.count)
        #expect(try store.record([result], worker: "w", attempt: 1) == 1)
        store.close()

        var db: OpaquePointer?
        try #require(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        for (column, field) in Self.columns {
            var statement: OpaquePointer?
            try #require(sqlite3_prepare_v2(db, "SELECT \(column) FROM trials", -1, &statement, nil) == SQLITE_OK,
                         "column \(column)")
            defer { sqlite3_finalize(statement) }
            try #require(sqlite3_step(statement) == SQLITE_ROW)
            #expect(sqlite3_column_double(statement, 0) == result[keyPath: field], "column \(column)")
        }
        // And the other way: a value written into a column by SQL alone is read back as that field.
        for (ordinal, (column, _)) in Self.columns.enumerated() {
            #expect(sqlite3_exec(db, "UPDATE trials SET \(column) = \(ordinal + 1000)", nil, nil, nil) == SQLITE_OK)
        }
        let read = try #require(try StudyStore.open(path: path, readOnly: true).allResults().first)
        for (ordinal, (column, field)) in Self.columns.enumerated() {
            #expect(read[keyPath: field] == Double(ordinal + 1000), "column \(column)")
        }
    }
}

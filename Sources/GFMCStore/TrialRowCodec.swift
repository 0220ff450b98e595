import GFMCModel

/// The trial-independent values of one δ's `BoundCheck`: they depend on the study, the width and δ
/// only, so the store keeps each distinct list once (table `bound_values`) and a trial refers to it.
struct BoundValues: Hashable {
    /// delta, lemma34Bound, lemma35Bound, theorem12Bound, theorem12BoundCorrected, theorem12WidthThreshold.
    var doubles: [Double]

    static let columns = ["delta", "lemma34_bound", "lemma35_bound", "theorem12_bound",
                          "theorem12_bound_corrected", "theorem12_width_threshold"]

    init(_ check: BoundCheck) {
        doubles = [check.delta, check.lemma34Bound, check.lemma35Bound, check.theorem12Bound,
                   check.theorem12BoundCorrected, check.theorem12WidthThreshold]
    }

    init(doubles: [Double]) { self.doubles = doubles }

    /// Bit patterns: the identity used to share one stored list between trials (NaNs by payload).
    var bits: [UInt64] { doubles.map(\.bitPattern) }

    /// The check with this trial's outcome flags (`BoundFlags`).
    func check(flags: UInt8) -> BoundCheck {
        BoundCheck(delta: doubles[0], lemma34Bound: doubles[1], lemma34Holds: flags & 1 != 0,
                   lemma35Bound: doubles[2], lemma35Holds: flags & 2 != 0,
                   theorem12Bound: doubles[3], theorem12Holds: flags & 4 != 0,
                   theorem12BoundCorrected: doubles[4], theorem12CorrectedHolds: flags & 8 != 0,
                   theorem12WidthThreshold: doubles[5], widthExceedsThreshold: flags & 16 != 0)
    }

    /// One byte of outcome flags per δ: bit 0 lemma34Holds, 1 lemma35Holds, 2 theorem12Holds,
    /// 3 theorem12CorrectedHolds, 4 widthExceedsThreshold.
    static func flags(_ check: BoundCheck) -> UInt8 {
        (check.lemma34Holds ? 1 : 0) | (check.lemma35Holds ? 2 : 0) | (check.theorem12Holds ? 4 : 0)
            | (check.theorem12CorrectedHolds ? 8 : 0) | (check.widthExceedsThreshold ? 16 : 0)
    }
}

/// The typed row of one trial in table `trials` (everything `TrialResult` holds) and back. Pure: the
/// store supplies the ids of interned texts (`labels`) and of shared bound lists (`bound_values`).
///
/// Exactness: integers and flags are INTEGER columns, doubles REAL columns (`ExactReal`, with
/// `exact_bits` for NaN payloads and −0.0), texts ids into `labels`, so decoding gives back a
/// `TrialResult` equal bit for bit to the one recorded.
enum TrialRowCodec {
    /// The REAL columns, in the order of the ordinals of `exact_bits` (immutable; key paths are not `Sendable`).
    nonisolated(unsafe) static let doubleColumns: [(name: String, path: WritableKeyPath<TrialResult, Double>)] = [
        ("final_time", \.finalTime), ("wall_seconds", \.wallSeconds),
        ("distance_frobenius", \.distanceFrobenius), ("distance_operator", \.distanceOperator),
        ("distance_frobenius_direct", \.distanceFrobeniusDirect),
        ("distance_operator_direct", \.distanceOperatorDirect),
        ("initial_null_space_coupling", \.initialNullSpaceCoupling), ("initial_loss", \.initialLoss),
        ("final_loss", \.finalLoss), ("optimal_loss", \.optimalLoss),
        ("effective_imbalance", \.effectiveImbalance), ("delta_plus", \.deltaPlus), ("delta_minus", \.deltaMinus),
        ("margin", \.margin), ("rate_constant", \.rateConstant), ("theorem3_rate", \.theorem3Rate),
        ("measured_rate", \.measuredRate), ("imbalance_drift", \.imbalanceDrift),
        ("lemma34_quantity", \.lemma34Quantity), ("lemma35_quantity", \.lemma35Quantity),
        ("predicted_distance", \.predictedDistance),
    ]

    /// The result columns of `trials`, in the order `encode` produces and `decode` reads.
    static let columns: [String] = ["width", "trial", "engine", "method", "stop_reason", "converged",
                                    "theorem3_holds", "lemma33_holds", "steps", "rhs_evaluations"]
        + doubleColumns.map(\.name) + ["bound_set", "bound_flags", "exact_bits"]

    /// The values of `doubleColumns`, in order: the table written out, because reading 21 fields through key
    /// paths costs more than the rest of a row's encoding (`TrialRowCodecTests` checks the two agree).
    static func doubleValues(of r: TrialResult) -> [Double] {
        [r.finalTime, r.wallSeconds, r.distanceFrobenius, r.distanceOperator, r.distanceFrobeniusDirect,
         r.distanceOperatorDirect, r.initialNullSpaceCoupling, r.initialLoss, r.finalLoss, r.optimalLoss,
         r.effectiveImbalance, r.deltaPlus, r.deltaMinus, r.margin, r.rateConstant, r.theorem3Rate, r.measuredRate,
         r.imbalanceDrift, r.lemma34Quantity, r.lemma35Quantity, r.predictedDistance]
    }

    /// Sets the fields of `doubleColumns` from `d` (in that order; `d.count == doubleColumns.count`), written
    /// out like `doubleValues(of:)`.
    static func assignDoubleValues(_ d: [Double], to r: inout TrialResult) {
        precondition(d.count == doubleColumns.count, "one value per REAL column")
        r.finalTime = d[0]; r.wallSeconds = d[1]; r.distanceFrobenius = d[2]; r.distanceOperator = d[3]
        r.distanceFrobeniusDirect = d[4]; r.distanceOperatorDirect = d[5]; r.initialNullSpaceCoupling = d[6]
        r.initialLoss = d[7]; r.finalLoss = d[8]; r.optimalLoss = d[9]; r.effectiveImbalance = d[10]
        r.deltaPlus = d[11]; r.deltaMinus = d[12]; r.margin = d[13]; r.rateConstant = d[14]; r.theorem3Rate = d[15]
        r.measuredRate = d[16]; r.imbalanceDrift = d[17]; r.lemma34Quantity = d[18]; r.lemma35Quantity = d[19]
        r.predictedDistance = d[20]
    }

    /// The texts a row refers to by id, in the order `encode` expects their ids.
    static func labels(of result: TrialResult) -> [String] {
        [result.engine, result.method, result.stopReason.rawValue]
    }

    /// The column values of `result`. `labelIDs` are the ids of `labels(of:)`; `boundSet` is the id of
    /// the stored list `result.bounds.map(BoundValues.init)` (nil when `bounds` is empty).
    static func encode(_ result: TrialResult, labelIDs: [Int64], boundSet: Int64?) -> [SQLValue] {
        var row: [SQLValue] = [.integer(Int64(result.id.width)), .integer(Int64(result.id.index)),
                               .integer(labelIDs[0]), .integer(labelIDs[1]), .integer(labelIDs[2]),
                               .integer(result.converged ? 1 : 0), .integer(result.theorem3Holds ? 1 : 0),
                               .integer(result.lemma33Holds ? 1 : 0),
                               .integer(Int64(result.steps)), .integer(Int64(result.rhsEvaluations))]
        row.reserveCapacity(columns.count)
        let doubles = doubleValues(of: result)
        row += doubles.map(ExactReal.column)
        row.append(boundSet.map { .integer($0) } ?? .null)
        row.append(result.bounds.isEmpty ? .null : .blob(result.bounds.map(BoundValues.flags)))
        row.append(ExactBits.encode(doubles))
        return row
    }

    /// The result of a row read in `columns` order.
    /// - Parameters:
    ///   - label: the text of a `labels` id (nil when unknown).
    ///   - boundSet: the stored bound list of an id (nil when unknown).
    /// - Throws: `RowProblem` saying which column is damaged.
    static func decode(_ row: [SQLValue], label: (Int64) -> String?,
                       boundSet: (Int64) -> [BoundValues]?) throws -> TrialResult {
        guard row.count == columns.count else { throw RowProblem("\(row.count) columns, expected \(columns.count)") }
        return try decode(column: { row[$0] }, label: label, boundSet: boundSet)
    }

    /// The same, reading column `i` (in `columns` order) through `column`: a statement's current row is
    /// decoded without first copying it into an array.
    static func decode(column row: (Int) -> SQLValue, label: (Int64) -> String?,
                       boundSet: (Int64) -> [BoundValues]?) throws -> TrialResult {
        func integer(_ i: Int) throws -> Int64 {
            guard case .integer(let v) = row(i) else { throw RowProblem("\(columns[i]) is not an integer") }
            return v
        }
        func text(_ i: Int) throws -> String {
            let id = try integer(i)
            guard let t = label(id) else { throw RowProblem("\(columns[i]) refers to unknown label \(id)") }
            return t
        }
        func flag(_ i: Int) throws -> Bool {
            let v = try integer(i)
            guard v == 0 || v == 1 else { throw RowProblem("\(columns[i]) is \(v), not 0 or 1") }
            return v == 1
        }
        let width = try integer(0), index = try integer(1)
        guard let w = Int(exactly: width), let k = Int(exactly: index) else { throw RowProblem("trial id out of range") }
        var result = TrialResult(id: TrialID(width: w, index: k), engine: try text(2), method: try text(3))
        let reason = try text(4)
        guard let stopReason = StopReason(rawValue: reason) else { throw RowProblem("stop_reason '\(reason)' is unknown") }
        result.stopReason = stopReason
        result.converged = try flag(5)
        result.theorem3Holds = try flag(6)
        result.lemma33Holds = try flag(7)
        result.steps = Int(try integer(8))
        result.rhsEvaluations = Int(try integer(9))
        let first = 10
        var doubles: [Double] = []
        doubles.reserveCapacity(doubleColumns.count)
        for offset in 0..<doubleColumns.count {
            guard let x = ExactReal.value(row(first + offset)) else {
                throw RowProblem("\(doubleColumns[offset].name) is not a number")
            }
            doubles.append(x)
        }
        let boundIndex = first + doubleColumns.count
        guard ExactBits.apply(row(boundIndex + 2), to: &doubles) else { throw RowProblem("exact_bits is malformed") }
        assignDoubleValues(doubles, to: &result)
        switch (row(boundIndex), row(boundIndex + 1)) {
        case (.null, .null): break
        case (.integer(let set), .blob(let flags)):
            guard let values = boundSet(set) else { throw RowProblem("bound_set refers to unknown list \(set)") }
            guard values.count == flags.count else {
                throw RowProblem("bound_flags has \(flags.count) entries for \(values.count) bounds")
            }
            result.bounds = zip(values, flags).map { $0.check(flags: $1) }
        default: throw RowProblem("bound_set and bound_flags disagree")
        }
        return result
    }

    /// Why a stored row does not decode.
    struct RowProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

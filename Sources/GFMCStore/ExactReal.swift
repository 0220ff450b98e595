/// How a `Double` is kept bit-exactly in an SQLite REAL column.
///
/// SQLite stores a bound double as 8 IEEE bytes, with two exceptions: NaN is stored as NULL, and an
/// integral value in a REAL column may be packed as an integer, which loses the sign of −0.0. So a
/// value is written as REAL (NULL for NaN), and the few values whose bits SQLite would not give back —
/// any NaN other than Swift's canonical `Double.nan`, and −0.0 — are also listed with their exact bit
/// pattern in the row's `exact_bits` BLOB (`ExactBits`), which is NULL on almost every row.
enum ExactReal {
    /// The column value for `x` (NULL for NaN).
    static func column(_ x: Double) -> SQLValue {
        x.isNaN ? .null : .real(x)
    }

    /// True when reading `column(x)` back would not give `x`'s exact bits.
    static func needsExactBits(_ x: Double) -> Bool {
        if x.isNaN { return x.bitPattern != Double.nan.bitPattern }
        return x == 0 && x.sign == .minus
    }

    /// The double a column value stands for; nil when the value is not a number (a damaged row).
    static func value(_ v: SQLValue) -> Double? {
        switch v {
        case .null: .nan
        case .real(let x): x
        case .integer(let i): Double(exactly: i)
        case .text, .blob: nil
        }
    }
}

/// The `exact_bits` BLOB: 9-byte entries, each the ordinal of a double in its row's list of REAL
/// columns (one byte) followed by that double's bit pattern (8 bytes, little-endian).
enum ExactBits {
    /// The BLOB for the doubles of one row, or NULL when every value survives as a REAL column.
    static func encode(_ values: [Double]) -> SQLValue {
        var bytes: [UInt8] = []
        for (ordinal, x) in values.enumerated() where ExactReal.needsExactBits(x) {
            bytes.append(UInt8(ordinal))
            var bits = x.bitPattern
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
        }
        return bytes.isEmpty ? .null : .blob(bytes)
    }

    /// Overrides `values` with the exact bit patterns listed in `column`.
    /// - Returns: false when the column is malformed (not NULL or a BLOB of whole entries with
    ///   ordinals inside `values`).
    static func apply(_ column: SQLValue, to values: inout [Double]) -> Bool {
        switch column {
        case .null: return true
        case .blob(let bytes):
            guard bytes.count % 9 == 0 else { return false }
            var offset = 0
            while offset < bytes.count {
                let ordinal = Int(bytes[offset])
                guard ordinal < values.count else { return false }
                var bits: UInt64 = 0
                for k in (1...8).reversed() { bits = bits << 8 | UInt64(bytes[offset + k]) }
                values[ordinal] = Double(bitPattern: bits)
                offset += 9
            }
            return true
        default: return false
        }
    }
}

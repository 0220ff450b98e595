import Foundation
import GFMCLinearAlgebra

/// The input of `gfmc trial --problem FILE`: one JSON object with exactly the keys
/// `"X"` (N×n), `"Y"` (N×m), `"U0"` (n×h) and `"V0"` (m×h), each a row-major array of rows of numbers.
///
/// Validation (each failure is a `DataLoadError` naming the file, and the key and 0-based row where it
/// applies): the top level must be an object; unknown keys and missing keys are errors; each value must be
/// a non-empty array of non-empty arrays; every row of a key must have the same length as its first row;
/// every entry must be a finite number (JSON `true`, strings and `null` are rejected); and the shapes must
/// agree (rows of Y = rows of X, rows of U0 = columns of X, rows of V0 = columns of Y, columns of V0 =
/// columns of U0).
public struct TrialProblemFile: Sendable, Equatable {
    public var x: Matrix
    public var y: Matrix
    public var u0: Matrix
    public var v0: Matrix

    public static let keys = ["X", "Y", "U0", "V0"]

    public init(x: Matrix, y: Matrix, u0: Matrix, v0: Matrix) {
        self.x = x; self.y = y; self.u0 = u0; self.v0 = v0
    }

    public static func load(path: String) throws -> TrialProblemFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataLoadError.unreadable(file: path, reason: error.localizedDescription)
        }
        return try parse(data, file: path)
    }

    /// Parses JSON bytes; `file` is used only in error messages.
    public static func parse(_ data: Data, file: String = "<json>") throws -> TrialProblemFile {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw DataLoadError.invalidFile(file: file, reason: "not valid JSON (\(Self.describe(error)))")
        }
        guard case .object(let object) = root else {
            throw DataLoadError.invalidFile(file: file, reason: "the top level must be a JSON object with keys X, Y, U0, V0")
        }
        for key in object.keys.sorted() where !keys.contains(key) {
            throw DataLoadError.invalidKey(file: file, key: key, row: nil, reason: "unknown key (allowed: X, Y, U0, V0)")
        }
        var matrices: [String: Matrix] = [:]
        for key in keys {
            guard let value = object[key] else {
                throw DataLoadError.invalidKey(file: file, key: key, row: nil, reason: "missing")
            }
            matrices[key] = try matrix(from: value, key: key, file: file)
        }
        let x = matrices["X"]!, y = matrices["Y"]!, u0 = matrices["U0"]!, v0 = matrices["V0"]!
        func mismatch(_ key: String, _ what: String) -> DataLoadError {
            .invalidKey(file: file, key: key, row: nil, reason: what)
        }
        guard y.rows == x.rows else { throw mismatch("Y", "has \(y.rows) rows, X has \(x.rows) (one row per sample)") }
        guard u0.rows == x.cols else { throw mismatch("U0", "has \(u0.rows) rows, X has \(x.cols) columns (U0 is n×h)") }
        guard v0.rows == y.cols else { throw mismatch("V0", "has \(v0.rows) rows, Y has \(y.cols) columns (V0 is m×h)") }
        guard v0.cols == u0.cols else { throw mismatch("V0", "has \(v0.cols) columns, U0 has \(u0.cols) (both are ·×h)") }
        return TrialProblemFile(x: x, y: y, u0: u0, v0: v0)
    }

    static func matrix(from value: JSONValue, key: String, file: String) throws -> Matrix {
        guard case .array(let rows) = value, !rows.isEmpty else {
            throw DataLoadError.invalidKey(file: file, key: key, row: nil, reason: "must be a non-empty array of rows")
        }
        var out: [[Double]] = []
        out.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            guard case .array(let entries) = row, !entries.isEmpty else {
                throw DataLoadError.invalidKey(file: file, key: key, row: i, reason: "must be a non-empty array of numbers")
            }
            if let first = out.first, first.count != entries.count {
                throw DataLoadError.invalidKey(file: file, key: key, row: i,
                                               reason: "has \(entries.count) entries, row 0 has \(first.count) (ragged rows)")
            }
            var numbers: [Double] = []
            numbers.reserveCapacity(entries.count)
            for (j, entry) in entries.enumerated() {
                guard case .number(let v) = entry else {
                    throw DataLoadError.invalidKey(file: file, key: key, row: i, reason: "entry \(j) is \(entry.kindName), not a number")
                }
                guard v.isFinite else {
                    throw DataLoadError.invalidKey(file: file, key: key, row: i, reason: "entry \(j) is not finite")
                }
                numbers.append(v)
            }
            out.append(numbers)
        }
        return Matrix(rowArrays: out)
    }

    static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError.map { " \($0.localizedDescription)" } ?? ""
            return context.debugDescription + underlying
        }
        return String(describing: error)
    }
}

/// A parsed JSON value (just enough to validate the problem file with precise messages).
enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), number(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

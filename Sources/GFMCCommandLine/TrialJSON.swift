import Foundation
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import GFMCStudy

/// The JSON form of one trial printed by `gfmc trial`: every `TrialResult` field under its snake_case name
/// (`distance_frobenius`, `theorem12_bound_corrected`, `id: {width, index}`, …). Finite numbers are written
/// in Swift's shortest round-trip form; NaN and ±∞ as the strings "nan", "inf", "-inf" (the store's
/// convention, `GFMCJSON`), since JSON has no such numbers.
public enum TrialJSON {
    /// `result` as a JSON object, with `extra` keys added (they must not collide with result fields).
    public static func object(_ result: TrialResult, extra: [String: JSONValue] = [:]) throws -> JSONValue {
        let encoder = GFMCJSON.encoder([])
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let text = String(decoding: try encoder.encode(result), as: UTF8.self)
        guard case .object(var members) = try JSONParser.parse(text) else {
            preconditionFailure("a TrialResult encodes as a JSON object")
        }
        for (key, value) in extra {
            precondition(members[key] == nil, "extra key \(key) collides with a TrialResult field")
            members[key] = value
        }
        return .object(members)
    }

    /// A matrix as a row-major array of rows.
    public static func matrix(_ m: Matrix) -> JSONValue {
        .array((0..<m.rows).map { i in .array((0..<m.cols).map { j in number(m[i, j]) }) })
    }

    /// A double as a JSON number, or "nan"/"inf"/"-inf".
    public static func number(_ x: Double) -> JSONValue {
        if x.isNaN { return .string("nan") }
        if x.isInfinite { return .string(x > 0 ? "inf" : "-inf") }
        return .number(x)
    }
}

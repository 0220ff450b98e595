import Foundation

/// The JSON form of a `TrialResult` in the store (and anywhere a lossless text form is needed).
///
/// Keys are sorted. Finite doubles are written in Swift's shortest round-trip form, so they decode
/// to the identical bit pattern (including -0.0 and subnormals). Non-finite values, which JSON
/// cannot express, are written as the strings `"nan"`, `"inf"` and `"-inf"` and decoded back;
/// a NaN comes back as the canonical quiet NaN (its payload and sign are not preserved).
public enum TrialResultCoding {
    public static func encoder() -> JSONEncoder { GFMCJSON.encoder([.sortedKeys, .withoutEscapingSlashes]) }

    public static func decoder() -> JSONDecoder { GFMCJSON.decoder() }

    public static func encode(_ result: TrialResult) throws -> String {
        String(decoding: try encoder().encode(result), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> TrialResult {
        try decoder().decode(TrialResult.self, from: Data(json.utf8))
    }
}

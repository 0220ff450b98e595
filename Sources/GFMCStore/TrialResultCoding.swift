import Foundation
import GFMCEngine

/// The JSON form of a `TrialResult` in the store (and anywhere a lossless text form is needed).
///
/// Keys are sorted. Finite doubles are written in Swift's shortest round-trip form, so they decode
/// to the identical bit pattern (including -0.0 and subnormals). Non-finite values, which JSON
/// cannot express, are written as the strings `"nan"`, `"inf"` and `"-inf"` and decoded back;
/// a NaN comes back as the canonical quiet NaN (its payload and sign are not preserved).
public enum TrialResultCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    public static func encode(_ result: TrialResult) throws -> String {
        String(decoding: try encoder().encode(result), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> TrialResult {
        try decoder().decode(TrialResult.self, from: Data(json.utf8))
    }
}

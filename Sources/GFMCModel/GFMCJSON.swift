import Foundation

/// The JSON convention of everything gfmc writes and reads (store records, wire messages, summary.json,
/// status.json, `--json` output): finite doubles in Swift's shortest round-trip form, so they decode to the
/// identical bit pattern; non-finite doubles, which JSON cannot express, as the strings `"nan"`, `"inf"` and
/// `"-inf"`. A decoded NaN is the canonical quiet NaN (payload and sign are not preserved).
public enum GFMCJSON {
    /// An encoder with the non-finite convention and `formatting` (sorted keys by default, so equal values
    /// give equal bytes).
    public static func encoder(_ formatting: JSONEncoder.OutputFormatting = [.sortedKeys]) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// A decoder that accepts the non-finite convention.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

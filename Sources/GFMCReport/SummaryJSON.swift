import Foundation
import GFMCModel

/// summary.json: the StudySummary as pretty-printed JSON with sorted keys. Deterministic: no timestamps and
/// no machine-dependent content, so equal trial sets give byte-identical files. Statistics that are undefined
/// are absent (see docs/results.md); non-finite numbers, which the summary avoids, would be written as the
/// strings "inf", "-inf", "nan" rather than failing.
public enum SummaryJSON {
    public static func encode(_ summary: StudySummary) throws -> Data {
        var data = try encoder().encode(summary)
        data.append(0x0A)  // trailing newline
        return data
    }

    public static func decode(_ data: Data) throws -> StudySummary {
        try GFMCJSON.decoder().decode(StudySummary.self, from: data)
    }

    static func encoder() -> JSONEncoder {
        GFMCJSON.encoder([.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

import Foundation

/// One study whose data files are broken in one way, with what a data check must say about it.
public struct BadDataCase: Sendable, CustomStringConvertible {
    /// A short name (also the study's name suffix).
    public let name: String
    /// Files to write next to the study file: name → bytes.
    public let files: [String: [UInt8]]
    /// The study's `data` section (paths relative to the study file).
    public let data: String
    /// The study key the error must name (`data.x_file`, `data.y_file`, `data.x_sha256`).
    public let key: String
    /// The file name (last path component) the error must name.
    public let file: String
    /// Text the error's problem must contain.
    public let fragment: String

    public var description: String { name }
}

/// Broken data sets for the data checks: ragged CSV, NaN, row counts that differ, a broken `.npy` header, a `.npy`
/// shape whose size overflows 64 bits, NaN in a `.npy`, a digest that no longer matches, a missing file, X of rank
/// zero. Each is a `files` study on a 3×2 X and 3×1 Y that is valid except for the one defect.
public enum BadDataFixtures {
    static let goodX = Array("1,0\n0,1\n1,1\n".utf8)
    static let goodY = Array("1\n2\n3\n".utf8)
    static let csvData = #"{"recipe": "files", "x_file": "x.csv", "y_file": "y.csv"}"#
    static let npyData = #"{"recipe": "files", "x_file": "x.npy", "y_file": "y.csv"}"#

    public static let cases: [BadDataCase] = [
        BadDataCase(name: "ragged-csv", files: ["x.csv": Array("1,0\n0\n1,1\n".utf8), "y.csv": goodY], data: csvData,
                    key: "data.x_file", file: "x.csv", fragment: "line 2, column 1: row has 1 fields, expected 2"),
        BadDataCase(name: "nan-csv", files: ["x.csv": goodX, "y.csv": Array("1\nnan\n3\n".utf8)], data: csvData,
                    key: "data.y_file", file: "y.csv", fragment: "line 2, column 1: \"nan\" is not finite"),
        BadDataCase(name: "rows-differ", files: ["x.csv": goodX, "y.csv": Array("1\n2\n".utf8)], data: csvData,
                    key: "data.y_file", file: "y.csv", fragment: "Y has 2 rows and X has 3"),
        BadDataCase(name: "npy-header", files: ["x.npy": npy(header: "{'descr': '<f8', 'fortran_order': False, }",
                                                           payload: f8([1, 0, 0, 1, 1, 1])), "y.csv": goodY],
                    data: npyData, key: "data.x_file", file: "x.npy", fragment: "missing key 'shape'"),
        BadDataCase(name: "npy-overflow", files: ["x.npy": npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                                                             payload: f8([1, 0, 0, 1, 1, 1])), "y.csv": goodY],
                    data: npyData, key: "data.x_file", file: "x.npy", fragment: "too large"),
        BadDataCase(name: "npy-nan", files: ["x.npy": npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
                                                        payload: f8([1, 0, .nan, 1, 1, 1])), "y.csv": goodY],
                    data: npyData, key: "data.x_file", file: "x.npy", fragment: "row 2, column 1 is NaN or infinite"),
        BadDataCase(name: "digest-changed", files: ["x.csv": goodX, "y.csv": goodY],
                    data: #"{"recipe": "files", "x_file": "x.csv", "y_file": "y.csv", "x_sha256": "\#(String(repeating: "0", count: 64))"}"#,
                    key: "data.x_sha256", file: "x.csv", fragment: "the study expects 0000"),
        BadDataCase(name: "missing-file", files: ["y.csv": goodY], data: csvData,
                    key: "data.x_file", file: "x.csv", fragment: "no such file"),
        BadDataCase(name: "rank-zero", files: ["x.csv": Array("0,0\n0,0\n0,0\n".utf8), "y.csv": goodY], data: csvData,
                    key: "data.x_file", file: "x.csv", fragment: "rank zero"),
    ]

    /// The study file's text for a `files` data section.
    public static func studyJSON(name: String, data: String, trials: Int = 2) -> String {
        """
        {"name": "bad-\(name)", "data": \(data), "init": {"kind": "gaussian", "sigma_u": 1, "sigma_v": 1},
         "widths": [4], "trials": \(trials), "deltas": []}

        """
    }

    /// Writes the case's files and its study file (`study.json`) into `directory` (which must exist); the study path.
    public static func write(_ badCase: BadDataCase, into directory: String) throws -> String {
        for (name, bytes) in badCase.files {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let studyPath = directory + "/study.json"
        try studyJSON(name: badCase.name, data: badCase.data).write(toFile: studyPath, atomically: true, encoding: .utf8)
        return studyPath
    }

    /// The same study with good data (for the control case).
    public static func writeGood(into directory: String) throws -> String {
        try Data(goodX).write(to: URL(fileURLWithPath: directory + "/x.csv"))
        try Data(goodY).write(to: URL(fileURLWithPath: directory + "/y.csv"))
        let studyPath = directory + "/study.json"
        try studyJSON(name: "good", data: csvData).write(toFile: studyPath, atomically: true, encoding: .utf8)
        return studyPath
    }

    /// A version 1.0 `.npy` file with the given header dict (padded to a 64-byte boundary) and payload.
    public static func npy(header dict: String, payload: [UInt8]) -> [UInt8] {
        var header = dict
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xff), UInt8(n >> 8)] + Array(header.utf8) + payload
    }

    /// Little-endian float64 bytes.
    public static func f8(_ values: [Double]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
}

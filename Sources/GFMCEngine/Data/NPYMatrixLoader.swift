import Foundation
import GFMCLinearAlgebra

/// Reads a matrix from a NumPy `.npy` file.
///
/// Supported (everything else is rejected with a `DataLoadError.invalidFile` naming the file and the reason):
/// * format versions 1.0 (2-byte header length), 2.0 and 3.0 (4-byte header length; 3.0 only differs in
///   allowing UTF-8 in the header);
/// * dtypes `'<f8'` (little-endian float64) and `'<f4'` (little-endian float32, widened exactly to Double);
///   on this little-endian platform `'=f8'`/`'=f4'` are accepted as the same thing;
/// * `fortran_order` True or False;
/// * shapes `(k,)` — read as a k×1 column — and `(rows, cols)`.
/// Big-endian, integer, complex, object and structured dtypes, 0-d and ≥3-d arrays, and files whose data
/// length disagrees with the header (including shapes whose size overflows a 64-bit count) are errors, never
/// traps. Non-finite entries are allowed here (a `Problem` rejects
/// them with the entry's position).
public enum NPYMatrixLoader {
    public static func load(path: String) throws -> Matrix {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataLoadError.unreadable(file: path, reason: error.localizedDescription)
        }
        return try parse([UInt8](data), file: path)
    }

    /// Parses the bytes of a `.npy` file; `file` is used only in error messages.
    public static func parse(_ bytes: [UInt8], file: String = "<npy>") throws -> Matrix {
        func fail(_ reason: String) -> DataLoadError { .invalidFile(file: file, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy .npy file (missing the \\x93NUMPY magic string)")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated .npy header") }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw fail(".npy header is not text")
        }
        let fields = try parseHeader(header, file: file)

        let itemSize: Int
        switch fields.descr {
        case "<f8", "=f8": itemSize = 8
        case "<f4", "=f4": itemSize = 4
        default:
            throw fail("unsupported dtype '\(fields.descr)' (supported: '<f8' float64 and '<f4' float32, little-endian)")
        }
        let rows: Int, cols: Int
        switch fields.shape.count {
        case 1: rows = fields.shape[0]; cols = 1
        case 2: rows = fields.shape[0]; cols = fields.shape[1]
        default:
            throw fail("array has \(fields.shape.count) dimensions, shape \(fields.shape); only 1-D (read as a column) and 2-D are supported")
        }
        // The header is untrusted: a shape whose entry count or byte size does not fit in an Int is an error,
        // never an arithmetic trap.
        let (count, countOverflow) = rows.multipliedReportingOverflow(by: cols)
        let (needed, bytesOverflow) = count.multipliedReportingOverflow(by: itemSize)
        let dataStart = headerStart + headerLength
        guard !countOverflow, !bytesOverflow else {
            throw fail("shape \(fields.shape) of '\(fields.descr)' is too large: its size overflows a 64-bit byte count "
                       + "(the data have \(bytes.count - dataStart) bytes)")
        }
        guard bytes.count - dataStart == needed else {
            throw fail("data has \(bytes.count - dataStart) bytes, shape \(fields.shape) of '\(fields.descr)' needs \(needed)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                let offset = dataStart + k * itemSize
                if itemSize == 8 {
                    values[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                } else {
                    values[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
                }
            }
        }
        if fields.fortranOrder || cols == 1 {
            return Matrix(rows: rows, cols: cols, columnMajor: values)
        }
        return Matrix(rows: rows, cols: cols) { i, j in values[i * cols + j] }
    }

    struct Header { var descr: String; var fortranOrder: Bool; var shape: [Int] }

    /// Parses the Python-literal header dict `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parseHeader(_ header: String, file: String) throws -> Header {
        func fail(_ reason: String) -> DataLoadError { .invalidFile(file: file, reason: "bad .npy header \(header.debugDescription): \(reason)") }
        func value(after key: String) throws -> Substring {
            for quote in ["'", "\""] {
                if let range = header.range(of: "\(quote)\(key)\(quote)") {
                    var rest = header[range.upperBound...].drop { $0 == " " }
                    guard rest.first == ":" else { throw fail("no ':' after '\(key)'") }
                    rest = rest.dropFirst().drop { $0 == " " }
                    return rest
                }
            }
            throw fail("missing key '\(key)'")
        }
        // descr: a quoted string (a list means a structured dtype, which is unsupported).
        let descrRest = try value(after: "descr")
        guard let q = descrRest.first, q == "'" || q == "\"" else {
            throw DataLoadError.invalidFile(file: file, reason: "unsupported structured dtype \(descrRest.prefix(40)) (supported: '<f8', '<f4')")
        }
        let afterQuote = descrRest.dropFirst()
        guard let end = afterQuote.firstIndex(of: q) else { throw fail("unterminated 'descr'") }
        let descr = String(afterQuote[..<end])

        let fortranRest = try value(after: "fortran_order")
        let fortran: Bool
        if fortranRest.hasPrefix("True") { fortran = true } else if fortranRest.hasPrefix("False") { fortran = false } else {
            throw fail("'fortran_order' is neither True nor False")
        }

        let shapeRest = try value(after: "shape")
        guard shapeRest.first == "(", let close = shapeRest.firstIndex(of: ")") else { throw fail("'shape' is not a tuple") }
        let inside = shapeRest[shapeRest.index(after: shapeRest.startIndex)..<close]
        var shape: [Int] = []
        for part in inside.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), v >= 0 else { throw fail("bad dimension '\(t)' in 'shape'") }
            shape.append(v)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
    }
}

/// Loads a matrix from `.npy` or CSV, chosen by the file extension (`.npy` → NumPy, anything else → CSV).
public enum MatrixFileLoader {
    public static func load(path: String) throws -> Matrix {
        if path.lowercased().hasSuffix(".npy") { return try NPYMatrixLoader.load(path: path) }
        return try CSVMatrixLoader.load(path: path)
    }
}

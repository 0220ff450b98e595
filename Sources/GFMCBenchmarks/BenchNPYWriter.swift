import Foundation
import GFMCLinearAlgebra

/// Writes a `Matrix` as a NumPy `.npy` file (format version 1.0), so the Python baseline integrates exactly the
/// data and initial weights gfmc used.
///
/// Layout: magic `\x93NUMPY`, version 1.0, a little-endian UInt16 header length, the header dict
/// `{'descr': '<f8', 'fortran_order': True, 'shape': (rows, cols), }` padded with spaces and ended by `\n` so
/// that the data start at a multiple of 64 bytes, then rows·cols little-endian IEEE doubles in column-major order
/// (the `Matrix` storage order, hence `fortran_order: True`). `numpy.load` reads it as a rows×cols float64 array.
public enum BenchNPYWriter {
    /// The bytes of the `.npy` file for `matrix`.
    public static func encode(_ matrix: Matrix) -> [UInt8] {
        let dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (\(matrix.rows), \(matrix.cols)), }"
        let prefixLength = 10  // magic (6) + version (2) + header length (2)
        var headerLength = dict.utf8.count + 1  // + "\n"
        let padding = (64 - (prefixLength + headerLength) % 64) % 64
        headerLength += padding
        var bytes: [UInt8] = [0x93]
        bytes += Array("NUMPY".utf8)
        bytes += [1, 0]
        bytes += [UInt8(headerLength & 0xff), UInt8(headerLength >> 8)]
        bytes += Array(dict.utf8)
        bytes += [UInt8](repeating: 0x20, count: padding)
        bytes.append(0x0a)
        bytes.reserveCapacity(bytes.count + 8 * matrix.storage.count)
        for value in matrix.storage {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        return bytes
    }

    /// Writes `matrix` to `path` (atomically: a temporary file renamed into place).
    /// - Throws: Foundation's error naming the path when the file cannot be written.
    public static func write(_ matrix: Matrix, to path: String) throws {
        try Data(encode(matrix)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

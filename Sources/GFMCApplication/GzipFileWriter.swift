import CZlib
import Foundation

/// Writes a gzip file (RFC 1952, one member) from pieces of bytes with Debian's zlib, holding only
/// zlib's window and one output buffer. `gzip -dc` gives back exactly the bytes written.
final class GzipFileWriter {
    private var stream = z_stream()
    private let output: SequentialFileWriter
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var finished = false

    /// - Parameter level: zlib level 1…9 (6 is gzip's default; 1 is fastest).
    init(output: SequentialFileWriter, level: Int32 = 6) throws {
        self.output = output
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        let rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw GzipError(message: "deflateInit2 failed (\(rc))") }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `bytes` and writes whatever output zlib produced.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            try pump(flush: Z_NO_FLUSH)
        }
    }

    /// Writes the end of the stream (the gzip trailer). Call once, after the last `write`.
    func finish() throws {
        guard !finished else { return }
        finished = true
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
    }

    private func pump(flush: Int32) throws {
        repeat {
            let produced: Int = try buffer.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let rc = deflate(&stream, flush)
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw GzipError(message: "deflate failed (\(rc))")
                }
                return buffer.count - Int(stream.avail_out)
            }
            if produced > 0 { try output.write(buffer[0..<produced]) }
            if flush == Z_FINISH ? stream.avail_out != 0 : stream.avail_in == 0 && stream.avail_out != 0 { break }
        } while true
    }
}

struct GzipError: Error, CustomStringConvertible {
    var message: String
    var description: String { "gzip: \(message)" }
}

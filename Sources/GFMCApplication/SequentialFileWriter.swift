import Foundation

/// Writes a large file front to back without letting it fill the page cache ("drop-behind").
///
/// A report's trials.csv can be several gigabytes, written once and not read back soon. Left alone, the kernel
/// keeps every written page cached, and on a loaded or virtualized machine that costs more processor time than
/// formatting the rows (at 10⁷ trials, 6.5 GB: 12–24 s of kernel time against 2–3 s written this way). So
/// every `window` bytes the writer asks the kernel to start writing the last window back
/// (`posix_fadvise(DONTNEED)` on dirty pages starts their writeback) and to drop the window before it, whose
/// writeback has had a window's time to finish. The advice only affects caching: the bytes on disk, and what
/// a reader sees at any moment, are exactly what was written; pages still dirty or under writeback are simply
/// kept.
///
/// Not thread-safe: one writer thread. Does not close the descriptor.
public final class SequentialFileWriter {
    public let descriptor: Int32
    /// The file's path, for error messages.
    public let path: String
    /// Bytes between two pieces of advice (64 MiB by default).
    public let window: Int
    public private(set) var bytesWritten = 0
    /// Everything before this offset has had its writeback started.
    private var writebackStartedUpTo = 0

    /// - Parameters:
    ///   - descriptor: an open file descriptor positioned where writing starts (usually offset 0).
    ///   - path: the file's path, named in errors.
    ///   - window: bytes between pieces of advice (at least one page).
    public init(descriptor: Int32, path: String, window: Int = 64 << 20) {
        self.descriptor = descriptor
        self.path = path
        self.window = max(4096, window)
    }

    /// Writes all of `bytes` (retrying short writes and interrupted calls).
    /// - Throws: `SequentialFileWriter.WriteError` with the system's reason (e.g. the disk is full).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
        bytesWritten += bytes.count
        while bytesWritten - writebackStartedUpTo >= window {
            let start = writebackStartedUpTo
            _ = posix_fadvise(descriptor, off_t(start), off_t(window), POSIX_FADV_DONTNEED)
            if start >= window { _ = posix_fadvise(descriptor, off_t(start - window), off_t(window), POSIX_FADV_DONTNEED) }
            writebackStartedUpTo += window
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }
}

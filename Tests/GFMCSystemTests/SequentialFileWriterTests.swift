import Foundation
import GFMCApplication
import Testing

extension SystemTests {
    @Suite("The report's drop-behind file writer")
    struct SequentialFileWriterTests {
        /// Pieces of uneven sizes crossing many advice windows (one page each here) read back exactly: the
        /// page-cache advice never changes the bytes.
        @Test func bytesReadBackExactlyAcrossAdviceWindows() throws {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("gfmc-sequential-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try #require(descriptor >= 0)
            let writer = SequentialFileWriter(descriptor: descriptor, path: path, window: 4096)
            var expected: [UInt8] = []
            var state: UInt32 = 12345
            for pieceSize in [1, 4095, 4096, 4097, 10_000, 0, 65_536, 3, 20_000] {
                let piece = (0..<pieceSize).map { _ -> UInt8 in
                    state = state &* 1_664_525 &+ 1_013_904_223
                    return UInt8(truncatingIfNeeded: state >> 24)
                }
                try writer.write(piece)
                try writer.write(piece[piece.count / 2..<piece.count])
                expected += piece
                expected += piece[piece.count / 2..<piece.count]
            }
            #expect(close(descriptor) == 0)
            #expect(writer.bytesWritten == expected.count)
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(written == expected)
        }

        /// A failed write throws an error naming the file and the system's reason.
        @Test func aFailedWriteNamesTheFile() throws {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("gfmc-sequential-ro-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            let writer = SequentialFileWriter(descriptor: descriptor, path: path)
            #expect {
                try writer.write([1, 2, 3])
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains(String(cString: strerror(EBADF)))
            }
        }
    }
}

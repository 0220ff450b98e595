import Foundation

/// A fresh directory under the system temp dir (mkdtemp), removed with everything in it by `remove()`.
/// Tests create one per test and remove it in a `defer`. Set `GFMC_KEEP_TEST_DIRS=1` to keep them for debugging
/// (their paths are then printed).
///
/// `@unchecked Sendable`: `path` never changes; removal goes through `FileManager`, which is thread-safe.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(prefix: String) throws {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        var template = Array("\(base)/gfmc-\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        guard created != nil else {
            throw SystemTestError("mkdtemp failed in \(base): errno \(errno)")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// Creates `path/name` as a directory and returns its path.
    func subdirectory(_ name: String) throws -> String {
        let child = file(name)
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: true)
        return child
    }

    /// Removes the directory tree (idempotent; errors are ignored because this runs in `defer`).
    func remove() {
        if ProcessInfo.processInfo.environment["GFMC_KEEP_TEST_DIRS"] == "1" {
            print("keeping test directory \(path)")
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

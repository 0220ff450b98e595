import Foundation

extension RunDirectory {
    /// Entries a directory may hold and still count as empty (a filesystem's own bookkeeping).
    public static let ignorableEntries: Set<String> = ["lost+found"]
    /// Entries a deployment places in a run directory before its first coordinator starts: `keys`, the per-run
    /// CURVE keys of `deploy/slurm/gfmc.sbatch`. A directory holding only these (and ignorable entries) is new.
    public static let deploymentEntries: Set<String> = ["keys"]
    /// Files that mark a gfmc run directory (any one of them).
    public static let markerFiles = ["study.sqlite", "status.json", "coordinator.lock"]

    /// Refuses an `--out` that would overwrite someone else's files, before anything is written: a path that
    /// exists but is not a directory, or a non-empty directory (ignoring `lost+found` and a deployment's `keys`)
    /// that holds none of a run directory's files (`study.sqlite`, `status.json`, `coordinator.lock`). A missing
    /// path, an empty directory, one holding only `keys`, and an existing run directory (resumed) are fine.
    /// - Throws: `ApplicationError.failure` naming the directory and what it holds.
    public func checkUsableAsOutput() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw ApplicationError.failure("--out \(path) exists and is not a directory; choose another --out")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ApplicationError.failure("--out \(path): cannot list the directory: \(error.localizedDescription)")
        }
        let foreign = entries.filter { !Self.ignorableEntries.contains($0) && !Self.deploymentEntries.contains($0) }.sorted()
        guard !foreign.isEmpty, !entries.contains(where: { Self.markerFiles.contains($0) }) else { return }
        let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", … (\(foreign.count) entries)" : "")
        throw ApplicationError.failure("--out \(path) is a non-empty directory that is not a gfmc run directory "
                                       + "(it holds \(shown) and no study.sqlite); refusing to write into it. "
                                       + "Use a new or empty directory, or the run directory of this study to resume")
    }

    /// Whether some process holds the `flock` on `coordinator.lock`, read from `/proc/locks` without touching
    /// the lock (so a coordinator starting at the same moment is never disturbed). nil when it cannot be told:
    /// no lock file, or no readable `/proc/locks`. Only locks taken on this machine's kernel are visible.
    public func lockIsHeld() -> Bool? {
        var info = stat()
        guard stat(lockPath, &info) == 0, let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else {
            return nil
        }
        return Self.locksTable(table, holdsInode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    /// Whether `/proc/locks` text lists a FLOCK on the inode (device as `MAJOR:MINOR` in hex, inode decimal).
    /// Lines look like `1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF` (blocked waiters, `->`, are skipped).
    public static func locksTable(_ table: String, holdsInode inode: UInt64, device: UInt64) -> Bool {
        let major = (device >> 8) & 0xfff | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK" else { continue }   // "->" waiters have "->" in field 1
            let id = fields[5].split(separator: ":")
            guard id.count == 3, let lockInode = UInt64(id[2]), lockInode == inode,
                  let lockMajor = UInt64(id[0], radix: 16), let lockMinor = UInt64(id[1], radix: 16) else { continue }
            if lockMajor == major && lockMinor == minor { return true }
        }
        return false
    }
}

import GFMCStore

/// `gfmc repair DIR`: the store's integrity check and rebuild (`StoreRepair`) for a run directory, as lines to print.
public enum RunDirectoryRepair {
    /// Repairs `directory`'s store (or finds it sound, migrating an older one) and says what it did.
    /// - Throws: `ApplicationError.failure` naming the store when there is none or it cannot be repaired.
    public static func repair(_ directory: RunDirectory) throws -> [String] {
        guard directory.hasStore else {
            throw ApplicationError.failure("\(directory.path) has no study store (\(directory.storePath))")
        }
        let summary: StoreRepairSummary
        do {
            summary = try StoreRepair.repair(path: directory.storePath)
        } catch {
            throw ApplicationError.failure("cannot repair \(directory.storePath): \(error)")
        }
        if summary.wasSound { return ["\(directory.storePath) is sound: \(summary.kept) trials."] }
        var lines = ["Repaired \(directory.storePath): kept \(summary.kept) trials, set aside \(summary.setAside.count)."]
        lines += summary.setAside.prefix(50).map { "  set aside \($0)" }
        if summary.setAside.count > 50 { lines.append("  … and \(summary.setAside.count - 50) more") }
        lines += summary.unreadable.map { "  unreadable: \($0)" }
        if let copy = summary.damagedCopyPath { lines.append("The damaged file is kept as \(copy).") }
        lines.append("Resume the study on \(directory.path) to recompute what is missing.")
        return lines
    }
}

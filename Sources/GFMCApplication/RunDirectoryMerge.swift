import Foundation
import GFMCModel
import GFMCStore
import GFMCStudy

/// `gfmc merge`: combines run directories of one trial definition (shards run on different machines or
/// clusters, or runs of the same study of different sizes) into a new run directory.
public enum RunDirectoryMerge {
    /// What a merge did.
    public struct Outcome: Sendable {
        /// The merged study: see `mergedStudy`.
        public var study: StudyDescription
        /// Trials copied from each input, in input order (a trial already copied from an earlier input counts
        /// only there).
        public var importedPerInput: [Int]
        /// Trials held by more than one input (identical apart from `wallSeconds`).
        public var duplicates: Int
        /// Trials in the merged store.
        public var storedTrials: Int
        /// The merged directory's report.
        public var report: RunDirectoryReport.Built
    }

    /// The study of the merged directory (pure): the first study's name and trial definition, the union of all
    /// widths (increasing, as a resolved study holds them), and the largest fixed `trials` count
    /// among the studies; when none has a fixed count, the first study's precision targets. Merging the shards of
    /// one study gives back exactly that study (same identity hash).
    /// - Precondition: `studies` is not empty.
    public static func mergedStudy(_ studies: [StudyDescription]) -> StudyDescription {
        let first = studies[0]
        let widths = Array(Set(studies.flatMap(\.widths))).sorted()
        let trials = studies.compactMap(\.trials).max()
        return first.resized(widths: widths, trials: trials, precision: first.precision)
    }

    /// Merges `inputs` into `output`, a new or empty directory, and writes its report.
    ///
    /// Checks first, changing nothing: every input is a run directory holding a study; no coordinator holds
    /// its lock (`lockIsHeld`, this machine's coordinators); every study has the trial definition of the first.
    /// Then copies every stored trial (`StudyStore.importTrials`, one transaction per input, keeping worker,
    /// build and time). A trial held by two inputs must be identical apart from `wallSeconds`. On any failure the
    /// output directory is removed again. Quarantine entries are not copied: a run of the merged directory
    /// retries those trials.
    /// - Throws: `ApplicationError` (unreadable input, output not new, an input listed twice);
    ///   `MergeInputInUse`; `RunDirectoryStudyMismatch` naming the input and the differing keys;
    ///   `MergeConflict` naming the trial and the directories.
    public static func merge(inputs: [RunDirectory], output: RunDirectory) throws -> Outcome {
        guard !inputs.isEmpty else { throw ApplicationError.failure("no run directory to merge") }
        let inputPaths = inputs.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path }
        if let repeated = Dictionary(grouping: inputPaths, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ApplicationError.failure("\(repeated) is given twice")
        }
        let outputPath = URL(fileURLWithPath: output.path).standardizedFileURL.path
        if inputPaths.contains(outputPath) {
            throw ApplicationError.failure("--out \(output.path) is one of the inputs; merge into a new directory")
        }
        try requireNewOutput(output)

        var studies: [StudyDescription] = []
        for input in inputs {
            if input.lockIsHeld() == true {
                throw MergeInputInUse(directory: input.path,
                                      holder: (try? String(contentsOfFile: input.lockPath, encoding: .utf8))?
                                          .trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            }
            studies.append(try input.storedStudy())
        }
        for (input, study) in zip(inputs, studies).dropFirst() where study.trialDefinitionHash != studies[0].trialDefinitionHash {
            var lines = ["\(input.path) holds trials of another definition than \(inputs[0].path) (trial definition "
                         + "\(study.trialDefinitionHash.prefix(12)), not \(studies[0].trialDefinitionHash.prefix(12))); "
                         + "refusing to merge them.", "What differs (\(inputs[0].path) → \(input.path)):"]
            lines += StudyDescription.trialDefinitionDiff(studies[0], study).map { "  \($0)" }
            throw RunDirectoryStudyMismatch(description: lines.joined(separator: "\n"))
        }
        let study = mergedStudy(studies)

        let existed = FileManager.default.fileExists(atPath: output.path)
        try output.create()
        var succeeded = false
        defer { if !succeeded { removeOutput(output, existed: existed) } }
        let lock = try RunDirectoryLock(output)
        defer { withExtendedLifetime(lock) {} }
        try output.adoptStudy(study)

        var imported: [Int] = []
        var duplicates = 0
        let store: StudyStore
        do { store = try StudyStore(path: output.storePath) } catch {
            throw ApplicationError.failure("cannot open the study store \(output.storePath): \(error)")
        }
        defer { store.close() }
        for (position, input) in inputs.enumerated() {
            let source: StudyStore
            do { source = try StudyStore(path: input.storePath, readOnly: true) } catch {
                throw ApplicationError.failure("cannot read the study store \(input.storePath): \(error)")
            }
            defer { source.close() }
            do {
                let count = try store.importTrials(from: source)
                imported.append(count.imported)
                duplicates += count.identicalDuplicates
            } catch let conflict as StoreImportConflict {
                let holders = inputs.prefix(position).filter { earlier in
                    guard let other = try? StudyStore(path: earlier.storePath, readOnly: true) else { return false }
                    defer { other.close() }
                    return (try? other.storedResult(conflict.trial)) != nil
                }
                throw MergeConflict(trial: conflict.trial, directories: holders.map(\.path) + [input.path],
                                    fields: conflict.fields)
            } catch {
                throw ApplicationError.failure("cannot merge \(input.path): \(error)")
            }
        }
        let stored: Int
        do {
            try store.logEvent(kind: "merge", detail: "merged " + zip(inputs, imported)
                .map { "\($0.path) (\($1) trials)" }.joined(separator: ", ") + "; \(duplicates) duplicates identical")
            stored = try store.count()
        } catch {
            throw ApplicationError.failure("cannot write the study store \(output.storePath): \(error)")
        }
        let report = try RunDirectoryReport.write(directory: output, study: study)
        succeeded = true
        return Outcome(study: study, importedPerInput: imported, duplicates: duplicates, storedTrials: stored,
                       report: report)
    }

    /// Refuses an output that exists and is not an empty directory (ignorable entries aside).
    static func requireNewOutput(_ output: RunDirectory) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw ApplicationError.failure("--out \(output.path) exists and is not a directory; merge into a new directory")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let held = entries.filter { !RunDirectory.ignorableEntries.contains($0) }
        guard held.isEmpty else {
            throw ApplicationError.failure("--out \(output.path) is not empty (it holds \(held.sorted().prefix(5).joined(separator: ", "))); "
                                           + "merge into a new or empty directory")
        }
    }

    /// Removes what a failed merge wrote: the directory when it did not exist before, else the files in it.
    static func removeOutput(_ output: RunDirectory, existed: Bool) {
        if !existed {
            try? FileManager.default.removeItem(atPath: output.path)
            return
        }
        let written = ["study.sqlite", "study.sqlite-wal", "study.sqlite-shm", "coordinator.lock", "trials.csv",
                       "summary.json", "report.html"]
        for name in written { try? FileManager.default.removeItem(atPath: output.path + "/" + name) }
    }
}

/// A coordinator holds an input's lock: its store is still changing.
public struct MergeInputInUse: Error, CustomStringConvertible, Sendable {
    public let directory: String
    public let holder: String
    public var description: String {
        "run directory \(directory) is in use by a running coordinator\(holder.isEmpty ? "" : " (pid \(holder))"); "
            + "merge it after that run finishes or is stopped"
    }
}

/// Two inputs hold the same trial with different results.
public struct MergeConflict: Error, CustomStringConvertible, Sendable {
    public let trial: TrialID
    /// The inputs that hold the trial (the last one is where the difference was found).
    public let directories: [String]
    /// The `TrialResult` fields (JSON keys) that differ.
    public let fields: [String]
    public var description: String {
        "trial \(trial) (width \(trial.width), index \(trial.index)) differs between \(directories.joined(separator: " and ")) "
            + "(\(fields.joined(separator: ", "))); a trial is a pure function of its study and identity, so one of "
            + "them is damaged or was computed by another build. Nothing was merged."
    }
}

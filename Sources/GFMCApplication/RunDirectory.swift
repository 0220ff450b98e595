import Foundation
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy

/// The files of one study run (`gfmc run`, `gfmc coordinator`, `gfmc status`, `gfmc report`):
///
/// | file | what |
/// |------|------|
/// | `study.sqlite` (+ `-wal`, `-shm`) | the durable store: the resolved study, its hash and trial definition hash, every accepted trial |
/// | `coordinator.lock` | `flock`ed by the coordinator serving this directory (holds its pid) |
/// | `coordinator.endpoint` | the endpoint `gfmc coordinator` listens on (real port after `tcp://*:0`), while it runs |
/// | `status.json` | the coordinator's progress, rewritten atomically every second |
/// | `trials.csv`, `summary.json`, `report.html` | the report, written at the end (also after a stop) and by `gfmc report` |
/// | `workers.log` | log of the local workers of `gfmc run` |
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var storePath: String { path + "/study.sqlite" }
    public var statusPath: String { path + "/status.json" }
    public var endpointPath: String { path + "/coordinator.endpoint" }
    public var lockPath: String { path + "/coordinator.lock" }
    public var trialsCSVPath: String { path + "/trials.csv" }
    public var summaryPath: String { path + "/summary.json" }
    public var reportPath: String { path + "/report.html" }
    public var workerLogPath: String { path + "/workers.log" }

    /// `runs/<study name>-<first 8 hex digits of the trial definition hash>`, relative to the current directory.
    /// The trial definition leaves out the study's size, so growing a study (more trials, more widths) keeps the
    /// same default directory and reuses its trials; a change to what defines a trial gets a new one.
    /// A shard's directory ends in `-shard-I-of-N`, so the shards of one study run side by side.
    public static func defaultPath(for study: StudyDescription, shard: TrialShard? = nil) -> String {
        let safeName = String(study.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return "runs/\(safeName)-\(study.trialDefinitionHash.prefix(8))"
            + (shard.map { "-shard-\($0.index)-of-\($0.count)" } ?? "")
    }

    public var hasStore: Bool { FileManager.default.fileExists(atPath: storePath) }

    /// Creates the directory (and parents).
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ApplicationError.failure("cannot create run directory \(path): \(error.localizedDescription)")
        }
    }

    /// Binds the directory's store (created when missing) to `study` (`StudyStore.adoptStudy`): the same study
    /// resumes; a study with the same trial definition and another size (more or fewer trials, added or removed
    /// widths, another name or precision block) is adopted, every stored trial kept, so only the missing trials
    /// run and reports cover the study as now described; a study whose trials are defined differently is
    /// refused, listing the keys that changed. A store without a recorded trial definition (older gfmc) gets it.
    /// `shard` is recorded as the part of the study this directory serves (nil: all of it).
    /// - Throws: `RunDirectoryStudyMismatch` (nothing changed); `ApplicationError` when the store cannot be
    ///   opened or written.
    @discardableResult
    public func adoptStudy(_ study: StudyDescription, shard: TrialShard? = nil) throws -> StudyAdoption {
        do {
            let store = try StudyStore(path: storePath)
            defer { store.close() }
            let adoption = try store.adoptStudy(studyHash: study.identityHash, trialDefinitionHash: study.trialDefinitionHash,
                                                resolvedStudyJSON: study.canonicalJSON,
                                                version: "gfmc \(GFMCVersion.current)",
                                                definitionOfStoredJSON: StudyDescription.trialDefinitionHash(ofResolvedJSON:))
            try store.recordShard(shard)
            return adoption
        } catch let mismatch as TrialDefinitionMismatch {
            throw RunDirectoryStudyMismatch(description: Self.mismatchMessage(
                directory: path, storedJSON: mismatch.storedJSON, new: study))
        } catch {
            throw ApplicationError.failure("cannot open the study store \(storePath): \(error)")
        }
    }

    /// The refusal of a study whose trials are defined differently from the stored one's, listing the trial
    /// keys that changed.
    static func mismatchMessage(directory: String, storedJSON: String, new study: StudyDescription) -> String {
        var lines = ["run directory \(directory) holds trials of a differently defined study; refusing to mix them."]
        if let old = try? StudyDescription.parse(storedJSON) {
            lines[0] = "run directory \(directory) holds trials of a differently defined study (stored trial definition "
                + "\(old.trialDefinitionHash.prefix(12)), this study \(study.trialDefinitionHash.prefix(12))); refusing to mix them."
            lines.append("What changed (stored → given):")
            lines += StudyDescription.trialDefinitionDiff(old, study).map { "  \($0)" }
        } else {
            lines.append("(the stored study could not be parsed by this gfmc version)")
        }
        lines.append("Only name, trials, widths and precision may change for a run directory (its stored trials are reused). "
                     + "Use another --out directory for the changed study, or rerun the stored study to resume it.")
        return lines.joined(separator: "\n")
    }

    /// Which stored trials belong to `study`: its widths and, for a fixed trial count, indices below it. A store
    /// can hold more (the study shrank); reports cover only these.
    public static func scope(of study: StudyDescription) -> TrialScope {
        TrialScope(widths: study.widths, trialsPerWidth: study.trials)
    }

    /// The study stored in this directory's store (read-only).
    public func storedStudy() throws -> StudyDescription {
        guard hasStore else {
            throw ApplicationError.failure("\(path) is not a gfmc run directory (no \(URL(fileURLWithPath: storePath).lastPathComponent))")
        }
        let stored: StoredStudy?
        do {
            let store = try StudyStore(path: storePath, readOnly: true)
            defer { store.close() }
            stored = try store.storedStudy()
        } catch {
            throw ApplicationError.failure("cannot read the study store \(storePath): \(error)")
        }
        guard let stored else { throw ApplicationError.failure("study store \(storePath) holds no study yet") }
        do {
            return try StudyDescription.parse(stored.resolvedStudyJSON)
        } catch {
            throw ApplicationError.failure("study store \(storePath): stored study does not parse: \(error)")
        }
    }
}

/// An exclusive `flock` on a run directory's `coordinator.lock`, held while the object lives: a second
/// coordinator on the same directory is refused with a message naming the holder's pid.
///
/// `@unchecked Sendable`: the only field, the descriptor, is set once in `init` and closed in `deinit`.
public final class RunDirectoryLock: @unchecked Sendable {
    private let descriptor: Int32

    /// Takes the lock, waiting up to `waitSeconds` (0: not at all) for a holder that is still stopping, e.g. the
    /// coordinator of a preempted Slurm job writing its partial report. Polls every 0.1 s; `stop` (when given and
    /// set, e.g. by a signal) ends the wait early with the locked error.
    ///
    /// - Throws: `RunDirectoryLockedError` when another process still holds the lock after the wait;
    ///   `RunDirectoryLocksUnsupportedError` when the file system refuses `flock` itself (some network file
    ///   systems), which is not the same as "in use".
    /// `onWait` is called once, with the holder's pid text, when the lock is held and the wait begins.
    public init(_ directory: RunDirectory, waitSeconds: Double = 0, stop: StopFlag? = nil,
                onWait: ((String) -> Void)? = nil) throws {
        let fd = open(directory.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ApplicationError.failure("cannot open lock file \(directory.lockPath): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(max(0, waitSeconds))
        var announced = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code != EWOULDBLOCK && code != EINTR {
                close(fd)
                throw RunDirectoryLocksUnsupportedError(directory: directory.path, lockPath: directory.lockPath,
                                                        reason: String(cString: strerror(code)))
            }
            if Date() >= deadline || stop?.isRequested == true {
                let holder = (try? String(contentsOfFile: directory.lockPath, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                close(fd)
                throw RunDirectoryLockedError(directory: directory.path, holder: holder, waitedSeconds: waitSeconds)
            }
            if !announced {
                announced = true
                onWait?((try? String(contentsOfFile: directory.lockPath, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            }
            usleep(100_000)
        }
        ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// Another coordinator serves the run directory.
public struct RunDirectoryLockedError: Error, CustomStringConvertible, Sendable {
    public let directory: String
    public let holder: String
    /// How long the lock was waited for (0: not at all).
    public var waitedSeconds: Double = 0
    public var description: String {
        let waited = waitedSeconds > 0 ? " (still held after waiting \(Int(waitedSeconds.rounded())) s)" : ""
        return "run directory \(directory) is in use by another coordinator\(holder.isEmpty ? "" : " (pid \(holder))")\(waited); "
            + "wait for it to finish (--lock-wait SECONDS), stop it, or use another --out directory"
    }
}

/// The file system of the run directory does not support `flock` (seen on some NFS/Lustre mounts): SQLite's
/// WAL and the coordinator's lock need a local disk or a file system with working locks.
public struct RunDirectoryLocksUnsupportedError: Error, CustomStringConvertible, Sendable {
    public let directory: String
    public let lockPath: String
    public let reason: String
    public var description: String {
        "file locks do not work in run directory \(directory) (flock on \(lockPath): \(reason)); put the run "
            + "directory on a local disk or on a file system with working locks (SQLite's WAL needs them too)"
    }
}

/// The run directory's store holds trials of a differently defined study; the description lists what changed.
public struct RunDirectoryStudyMismatch: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Exit statuses of the study commands (also listed in their `--help`).
public enum RunExitCode {
    /// The study is complete (reports written).
    public static let complete: Int32 = 0
    /// An error (unreadable study, bad data, store failure, …); the message names it. Nothing stored is lost.
    public static let failure: Int32 = 1
    /// Stopped before completion (SIGINT/SIGTERM/SIGHUP/SIGUSR1, or local workers that kept exiting): partial
    /// report written; rerun the same command to resume.
    public static let stopped: Int32 = 2
    /// Bad command line.
    public static let usage: Int32 = 64
    /// The run directory holds trials of a differently defined study (the message lists what changed); `gfmc merge`:
    /// inputs of different trial definitions, or one trial with different results in two inputs.
    public static let studyMismatch: Int32 = 65
    /// Another coordinator holds the run directory's lock.
    public static let locked: Int32 = 75

    /// The EXIT STATUS paragraph of the study commands' help.
    public static let helpText = """
    Exit status: 0 complete; 1 error (message names file/key; nothing stored is lost); 2 stopped by a signal \
    (SIGINT, SIGTERM, SIGHUP, SIGUSR1) or by local workers that kept exiting, before completion (partial report \
    written; rerun the same command to resume); 3 finished but some trials were quarantined after repeated \
    failures (listed; rerun with --retry-quarantined to retry them); 64 bad command line; \
    65 unusable input, found before any worker starts: a broken or changed data file, a study too large for \
    this machine (message names the key, the file and the problem), or a run directory holding trials of a \
    differently defined study (message lists what changed); 75 another coordinator holds the run directory.
    """
}

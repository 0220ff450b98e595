import Foundation
import GFMCModel

/// What `StoreRepair.repair` did.
public struct StoreRepairSummary: Sendable {
    /// The store was sound (and, if older, migrated): nothing else changed.
    public var wasSound: Bool
    /// Trials copied into the repaired store.
    public var kept: Int
    /// Trials removed because their row did not decode ("h=W#K: reason"); they are recomputed on resume.
    public var setAside: [String]
    /// Stretches of the trials table that could not be read at all (their trials are recomputed).
    public var unreadable: [String]
    /// Where the damaged original was moved (nil when nothing was rebuilt).
    public var damagedCopyPath: String?
}

/// Rebuilds a damaged study store: every trial that reads and decodes is kept bit for bit, with its
/// worker, attempt, time and build; the rest is set aside (table `set_aside`) to be recomputed by the
/// next resume. The study record, quarantine and events are copied as far as they read.
public enum StoreRepair {
    /// Repairs the store at `path` in place (the damaged file is kept beside it as
    /// `PATH.damaged-<unix time>`). A sound store is left as it is (an older one is migrated).
    /// Must not run while a coordinator writes the store.
    /// - Throws: `StoreError` when the file cannot be opened at all or its study record is unreadable.
    public static func repair(path: String) throws -> StoreRepairSummary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notAStudyStore(path: path, reason: "no such file")
        }
        if let store = try? StudyStore(path: path) {
            let report = try? store.checkIntegrity()
            store.close()
            if report?.isSound == true {
                return StoreRepairSummary(wasSound: true, kept: report?.rowsRead ?? 0, setAside: [], unreadable: [],
                                          damagedCopyPath: nil)
            }
        }
        let rebuiltPath = path + ".repairing"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: rebuiltPath + suffix) }
        var summary = try rebuild(from: path, into: rebuiltPath)
        let damagedPath = path + ".damaged-\(Int(Date().timeIntervalSince1970))"
        let fm = FileManager.default
        try fm.moveItem(atPath: path, toPath: damagedPath)
        for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: path + suffix) {
            try fm.moveItem(atPath: path + suffix, toPath: damagedPath + suffix)
        }
        try fm.moveItem(atPath: rebuiltPath, toPath: path)
        summary.damagedCopyPath = damagedPath
        return summary
    }

    private static func rebuild(from path: String, into rebuiltPath: String) throws -> StoreRepairSummary {
        let old = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 5000)
        defer { old.close() }
        var study: [String: String] = [:]
        do {
            try old.forEachRow("SELECT key, value FROM study", [], operation: "read study") { row in
                if let key = row[0].string, let value = row[1].string { study[key] = value }
            }
        } catch {
            throw StoreError.notAStudyStore(path: path, reason: "the study record is unreadable (\(error)); "
                                            + "start the study again in a new directory")
        }
        guard let hash = study["study_hash"] else {
            throw StoreError.notAStudyStore(path: path, reason: "no study recorded")
        }
        let store = try StudyStore(path: rebuiltPath)
        defer { store.close() }
        try store.initialize(studyHash: hash, resolvedStudyJSON: study["resolved_study_json"] ?? "",
                             version: study["gfmc_version_last"] ?? "")
        let oldDictionaries = StoreDictionaries()
        var summary = StoreRepairSummary(wasSound: false, kept: 0, setAside: [], unreadable: [], damagedCopyPath: nil)
        do { try oldDictionaries.reload(old) } catch {
            summary.unreadable.append("the shared texts and bound lists: \(error)")
        }
        try store.connection.transaction("repair: copy trials") {
            for key in ["gfmc_version_created", "gfmc_version_last"] {
                if let value = study[key] { try store.setStudyValue(key, value) }
            }
            try copyTrials(from: old, dictionaries: oldDictionaries, into: store, summary: &summary)
            copyAuxiliaryTables(from: old, into: store, summary: &summary)
            try store.logEvent(kind: "repair", detail: "kept \(summary.kept) trials, set aside \(summary.setAside.count)"
                               + (summary.unreadable.isEmpty ? "" : ", unreadable: \(summary.unreadable.joined(separator: "; "))"))
        }
        return summary
    }

    /// Reads the old trials table in rowid order, a chunk at a time, skipping forward (by doubling steps)
    /// past stretches that do not read.
    private static func copyTrials(from old: SQLiteConnection, dictionaries: StoreDictionaries, into store: StudyStore,
                                   summary: inout StoreRepairSummary) throws {
        let maxID = (try? old.query("SELECT max(id) FROM trials", operation: "repair: last row"))?.first?.first?.int
            .map(Int64.init) ?? Int64.max / 2
        let columns = StoreSchema.resultColumns + ", worker, attempt, recorded_at, build, id"
        let resultCount = TrialRowCodec.columns.count
        var cursor: Int64 = 0
        var step: Int64 = 1
        var failedAfter: Int64? = nil
        while cursor <= maxID {
            var rows: [[SQLValue]] = []
            do {
                try old.forEachRow("SELECT \(columns) FROM trials WHERE id > ? ORDER BY id LIMIT 512",
                                   [.integer(cursor)], operation: "repair: read trials") { rows.append($0) }
            } catch {
                if failedAfter == nil { failedAfter = cursor }
                cursor += step
                step = min(step * 2, 1 << 20)
                continue
            }
            if let start = failedAfter {
                summary.unreadable.append("rows \(start + 1)…\(cursor) of the trials table")
                failedAfter = nil
            }
            step = 1
            guard let last = rows.last?.last?.int else { break }
            for row in rows {
                let resultRow = Array(row.prefix(resultCount))
                let name = StudyStore.trialName(resultRow)
                do {
                    let result = try TrialRowCodec.decode(resultRow, label: { dictionaries.labelTexts[$0] },
                                                          boundSet: { dictionaries.boundSets[$0] })
                    guard case .integer(let workerID) = row[resultCount], let worker = dictionaries.labelTexts[workerID]
                    else { throw TrialRowCodec.RowProblem("worker refers to an unknown label") }
                    let build: BuildIdentity?
                    if case .integer(let buildID) = row[resultCount + 3] {
                        guard let known = dictionaries.builds[buildID] else {
                            throw TrialRowCodec.RowProblem("build refers to unknown build \(buildID)")
                        }
                        build = known
                    } else {
                        build = nil
                    }
                    summary.kept += try store.insert([result], worker: worker, attempt: row[resultCount + 1].int ?? 1,
                                                     recordedAtMilliseconds: Int64(row[resultCount + 2].int ?? 0),
                                                     build: build)
                } catch {
                    summary.setAside.append("\(name): \(error)")
                    try store.connection.query("INSERT INTO set_aside(width, trial, reason, at) VALUES (?, ?, ?, ?)",
                                               [resultRow[0].int.map { .integer(Int64($0)) } ?? .null,
                                                resultRow[1].int.map { .integer(Int64($0)) } ?? .null,
                                                .text("repair: \(error)"), .real(Date().timeIntervalSince1970)],
                                               operation: "repair: set aside")
                }
            }
            cursor = Int64(last)
        }
        if let start = failedAfter { summary.unreadable.append("rows after \(start) of the trials table") }
    }

    /// Copies quarantine, set-aside and event rows as far as they read (each table on its own).
    private static func copyAuxiliaryTables(from old: SQLiteConnection, into store: StudyStore,
                                            summary: inout StoreRepairSummary) {
        let tables = [("quarantine", "task_id, trial_ids, reason, workers, attempts, at"),
                      ("quarantined_trials", "width, trial, reason, hosts, attempts, at"),
                      ("set_aside", "width, trial, reason, at"),
                      ("events", "at, kind, detail")]
        for (table, columns) in tables {
            do {
                let rows = try old.query("SELECT \(columns) FROM \(table)", operation: "repair: read \(table)")
                let marks = Array(repeating: "?", count: rows.first?.count ?? 0).joined(separator: ", ")
                for row in rows {
                    try store.connection.query("INSERT OR REPLACE INTO \(table)(\(columns)) VALUES (\(marks))", row,
                                               operation: "repair: copy \(table)")
                }
            } catch {
                summary.unreadable.append("table \(table): \(error)")
            }
        }
    }
}

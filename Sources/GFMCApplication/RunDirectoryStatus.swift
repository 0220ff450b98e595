import Foundation
import GFMCCoordination
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy

/// The state of a run directory as `gfmc status` shows it: status.json reconciled with the store.
public enum RunDirectoryStatus {
    public struct Output: Codable, Sendable {
        public var state: RunState
        public var endpoint: String?
        public var pid: Int32?
        public var updatedAt: Double?
        public var runDirectory: String
        public var studyName: String?
        public var storedTrials: Int
        public var widths: [WidthCountOutput]
        public var status: CoordinatorStatus
    }

    public struct WidthCountOutput: Codable, Sendable {
        public var width: Int
        public var recorded: Int
        public var converged: Int
    }

    /// Combines status.json and the store. A "running" status left by a coordinator that is gone (its
    /// `coordinator.lock` is free and its pid gone, or its status stale) becomes "interrupted".
    public static func read(_ directory: RunDirectory) throws -> Output {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ApplicationError.failure("\(directory.path): no such run directory")
        }
        let report: CoordinatorStatusReport?
        if FileManager.default.fileExists(atPath: directory.statusPath) {
            do { report = try CoordinatorStatusReport.read(from: directory.statusPath) } catch {
                throw ApplicationError.failure("cannot read \(directory.statusPath): \(error)")
            }
        } else {
            report = nil
        }
        var stored = 0
        var widths: [WidthCountOutput] = []
        var study: StudyDescription?
        var shard: TrialShard?
        if directory.hasStore {
            do {
                let store = try StudyStore(path: directory.storePath, readOnly: true)
                defer { store.close() }
                widths = try store.countsByWidth().map { WidthCountOutput(width: $0.width, recorded: $0.recorded, converged: $0.converged) }
                if let s = try store.storedStudy() { study = try? StudyDescription.parse(s.resolvedStudyJSON) }
                shard = try store.storedShard()
                // Trials kept from a bigger study (it shrank) are stored but not the study's.
                stored = try store.count(scope: study.map(RunDirectory.scope(of:)) ?? .all)
            } catch {
                throw ApplicationError.failure("cannot read the study store \(directory.storePath): \(error)")
            }
        }
        guard report != nil || directory.hasStore else {
            throw ApplicationError.failure("\(directory.path) is not a gfmc run directory (no status.json, no study.sqlite)")
        }

        guard var report else {
            // A shard's total is its own trials (the coordinator's status file says the same while it lives).
            let planned = study.flatMap { s in s.trials.map { trials in s.widths.count * (shard?.count(of: trials) ?? trials) } }
            let total = max(planned ?? stored, stored)
            let status = CoordinatorStatus(studyHash: study?.identityHash ?? "", total: total, done: stored, inFlight: 0,
                                           queued: total - stored, requeues: 0, quarantined: 0, workersAlive: 0,
                                           creditsAlive: 0, trialsPerSecond: 0, etaSeconds: nil, elapsedSeconds: 0,
                                           tasksIssued: 0, rejectedMessages: 0, duplicatesDropped: 0,
                                           complete: stored == total && total > 0)
            return Output(state: .notRunning, endpoint: nil, pid: nil, updatedAt: nil, runDirectory: directory.path,
                          studyName: study?.name, storedTrials: stored, widths: widths, status: status)
        }
        // A "running" status whose coordinator pid is gone here and which has not been refreshed for 5 s (it is
        // rewritten every second) was left by a killed coordinator. (The freshness check keeps a coordinator on
        // another machine sharing the directory "running".)
        // The lock tells first where it can be read (/proc/locks): a coordinator holds coordinator.lock for as
        // long as it lives, so a free lock with its pid gone means it was killed, at once; a free lock with its
        // pid alive (reused by another process) and a status 30 s old means the same.
        let age = Date().timeIntervalSince1970 - report.updatedAt
        if report.state == .running {
            let pidGone = kill(report.pid, 0) != 0 && errno == ESRCH
            switch directory.lockIsHeld() {
            case true?: break
            case false?: if pidGone || age > 30 { report.state = .interrupted }
            case nil: if pidGone && age > 5 { report.state = .interrupted }
            }
        }
        if report.state != .running {
            // Not live: the store is the truth for what is done.
            var s = report.status
            s.done = max(s.done, stored)
            s.inFlight = 0
            s.total = max(s.total, s.done)
            s.queued = max(0, s.total - s.done - s.quarantined)
            s.workersAlive = 0
            s.creditsAlive = 0
            s.etaSeconds = s.queued == 0 ? 0 : nil
            s.complete = report.state == .complete || (s.queued == 0 && s.total > 0 && s.quarantined == 0)
            report.status = s
        }
        return Output(state: report.state, endpoint: report.endpoint, pid: report.pid, updatedAt: report.updatedAt,
                      runDirectory: directory.path, studyName: study?.name, storedTrials: stored, widths: widths,
                      status: report.status)
    }
}

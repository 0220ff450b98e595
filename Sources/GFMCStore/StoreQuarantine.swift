import Foundation
import GFMCModel

/// A trial taken out of circulation: it failed on enough attempts (and hosts) that retrying it is
/// pointless until someone asks (`gfmc run … --retry-quarantined`). Kept across restarts.
public struct QuarantinedTrial: Equatable, Sendable {
    public var trial: TrialID
    /// Why (the last failure).
    public var reason: String
    /// The distinct hosts it failed on, in order of first failure.
    public var hosts: [String]
    public var attempts: Int
    /// When it was quarantined (stored to the millisecond).
    public var at: Date

    public init(trial: TrialID, reason: String, hosts: [String], attempts: Int, at: Date = Date()) {
        self.trial = trial
        self.reason = reason
        self.hosts = hosts
        self.attempts = attempts
        self.at = at
    }
}

/// A damaged trial that `repair` (or a migration) removed so that it is recomputed.
public struct SetAsideTrial: Equatable, Sendable {
    /// nil when even the trial's identity could not be read.
    public var trial: TrialID?
    public var reason: String
    public var at: Date
}

extension StudyStore {
    // MARK: Quarantined trials

    /// Quarantines trials (replacing an earlier entry of the same trial), in one durable transaction.
    public func quarantine(_ entries: [QuarantinedTrial]) throws {
        try requireWritable()
        if entries.isEmpty { return }
        try connection.transaction("quarantine \(entries.count) trials") {
            for entry in entries {
                let hosts = String(decoding: try JSONEncoder().encode(entry.hosts), as: UTF8.self)
                try connection.query("""
                    INSERT OR REPLACE INTO quarantined_trials(width, trial, reason, hosts, attempts, at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, [.integer(Int64(entry.trial.width)), .integer(Int64(entry.trial.index)), .text(entry.reason),
                          .text(hosts), .integer(Int64(entry.attempts)),
                          .real((entry.at.timeIntervalSince1970 * 1000).rounded() / 1000)],
                    operation: "quarantine trial")
            }
        }
    }

    /// Every quarantined trial, by (width, trial).
    public func quarantinedTrials() throws -> [QuarantinedTrial] {
        try requireCurrentSchema()
        return try connection.query("""
            SELECT width, trial, reason, hosts, attempts, at FROM quarantined_trials ORDER BY width, trial
            """, operation: "read quarantined trials").compactMap { row -> QuarantinedTrial? in
            guard let width = row[0].int, let index = row[1].int else { return nil }
            let hosts = (try? JSONDecoder().decode([String].self, from: Data((row[3].string ?? "").utf8))) ?? []
            return QuarantinedTrial(trial: TrialID(width: width, index: index), reason: row[2].string ?? "",
                                    hosts: hosts, attempts: row[4].int ?? 0,
                                    at: Date(timeIntervalSince1970: row[5].double ?? 0))
        }
    }

    /// Returns quarantined trials to the pending pool (`--retry-quarantined`): the given ones, or all
    /// when `trials` is nil, from both the per-trial and the per-task quarantine. Durable on return.
    /// - Returns: how many per-trial entries were removed.
    @discardableResult
    public func releaseQuarantine(_ trials: [TrialID]? = nil) throws -> Int {
        try requireWritable()
        return try connection.transaction("release quarantine") {
            guard let trials else {
                try connection.query("DELETE FROM quarantined_trials", operation: "release quarantine")
                let removed = connection.changes
                try connection.query("DELETE FROM quarantine", operation: "release quarantined tasks")
                try logEvent(kind: "quarantine_released", detail: "all quarantined trials")
                return removed
            }
            var removed = 0
            for trial in trials {
                try connection.query("DELETE FROM quarantined_trials WHERE width = ? AND trial = ?",
                                     [.integer(Int64(trial.width)), .integer(Int64(trial.index))],
                                     operation: "release quarantine")
                removed += connection.changes
            }
            try logEvent(kind: "quarantine_released", detail: "\(removed) trials")
            return removed
        }
    }

    // MARK: Set-aside trials

    /// Trials removed as damaged (by `repair` or a migration), oldest first. Such a trial has no stored
    /// result unless it was recomputed since.
    public func setAsideTrials() throws -> [SetAsideTrial] {
        try requireCurrentSchema()
        return try connection.query("SELECT width, trial, reason, at FROM set_aside ORDER BY id",
                             operation: "read set-aside trials").map { row in
            let trial = row[0].int.flatMap { w in row[1].int.map { TrialID(width: w, index: $0) } }
            return SetAsideTrial(trial: trial, reason: row[2].string ?? "",
                                 at: Date(timeIntervalSince1970: row[3].double ?? 0))
        }
    }
}

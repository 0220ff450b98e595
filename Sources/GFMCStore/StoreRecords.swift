import Foundation
import GFMCModel

/// The study a store belongs to, as recorded by `StudyStore.initialize`.
public struct StoredStudy: Equatable, Sendable {
    /// The study identity hash (the store refuses any other study).
    public let studyHash: String
    /// The resolved study configuration, JSON text.
    public let resolvedStudyJSON: String
    /// The gfmc version that created the store.
    public let createdByVersion: String
    /// The gfmc version that last opened the store for writing.
    public let lastVersion: String
    /// Schema version of the file.
    public let schemaVersion: Int
    /// SHA-256 of the study's trial-defining part (the study without its size: name, trials, widths,
    /// precision); nil in a store written before it was recorded (`adoptStudy` fills it in).
    public var trialDefinitionHash: String? = nil
}

/// A task taken out of circulation after too many failed attempts (it is reported, never retried
/// forever).
public struct QuarantineEntry: Equatable, Sendable {
    /// The coordinator's task identifier.
    public var taskID: String
    /// The trials the task covered.
    public var trials: [TrialID]
    /// Why it was quarantined (last failure).
    public var reason: String
    /// Workers that attempted it, in order.
    public var workers: [String]
    /// Number of attempts made.
    public var attempts: Int
    /// When it was quarantined.
    public var at: Date

    public init(taskID: String, trials: [TrialID], reason: String, workers: [String], attempts: Int,
                at: Date = Date()) {
        self.taskID = taskID
        self.trials = trials
        self.reason = reason
        self.workers = workers
        self.attempts = attempts
        self.at = at
    }
}

/// One line of the store's small event log.
public struct StoreEvent: Equatable, Sendable {
    public var at: Date
    /// A short machine-readable kind, e.g. `"start"`, `"resume"`, `"worker_lost"`.
    public var kind: String
    public var detail: String

    public init(at: Date, kind: String, detail: String) {
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}

/// Per-width progress counts.
public struct WidthCount: Equatable, Sendable {
    public var width: Int
    public var recorded: Int
    public var converged: Int

    public init(width: Int, recorded: Int, converged: Int) {
        self.width = width
        self.recorded = recorded
        self.converged = converged
    }
}

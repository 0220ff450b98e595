import Foundation
import GFMCModel

/// What `StudyStore.adoptStudy` did.
public enum StudyAdoption: Equatable, Sendable {
    /// The store was empty; it now holds the study.
    case created
    /// The store already held exactly this study.
    case unchanged
    /// The store held a study with the same trial definition and another size (name, trials, widths or
    /// precision); it now holds the new one. Every stored trial is kept: those the new study contains are
    /// reused, the others stay stored but outside the study. `previousJSON` is the study it held before.
    case resized(previousJSON: String)
}

/// The store holds a study whose trials are defined differently (data, initialization, engine settings,
/// seed, …): its trials are not the new study's.
public struct TrialDefinitionMismatch: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let storedDefinitionHash: String
    public let requestedDefinitionHash: String
    /// The stored study's resolved JSON, to list what changed.
    public let storedJSON: String
    public var description: String {
        "the study store \(path) holds trials of another definition (stored trial definition "
            + "\(storedDefinitionHash.prefix(12)), requested \(requestedDefinitionHash.prefix(12)))"
    }
}

extension StudyStore {
    /// Records which shard of the study the directory's coordinator serves (nil: the whole study), so `gfmc
    /// status` can count the shard's trials without the coordinator's status file. Durable on return.
    public func recordShard(_ shard: TrialShard?) throws {
        try requireWritable()
        if let shard {
            try setStudyValue("shard", shard.description)
        } else {
            try connection.query("DELETE FROM study WHERE key = 'shard'", operation: "write study shard")
        }
    }

    /// The shard recorded by `recordShard`, nil when the whole study is served (or none was recorded).
    public func storedShard() throws -> TrialShard? {
        let rows = try connection.query("SELECT value FROM study WHERE key = 'shard'", operation: "read study shard")
        guard let text = rows.first?.first?.string, case .success(let shard) = TrialShard.parse(text) else { return nil }
        return shard
    }

    /// Binds the store to a study, accepting a change of the study's size (grow or shrink) but not of what
    /// defines a trial. In one transaction:
    /// * empty store: records the study (hash, trial definition hash, JSON, version) → `.created`;
    /// * same study hash: notes the version now writing, as `initialize` does → `.unchanged`;
    /// * same trial definition hash: replaces the recorded study (hash and JSON) by the new one, keeping every
    ///   stored trial, and logs a `resize` event → `.resized`;
    /// * otherwise throws `TrialDefinitionMismatch` and changes nothing.
    ///
    /// A store written before trial definitions were recorded has none: `definitionOfStoredJSON` computes it
    /// from the stored JSON (nil: it cannot, which counts as a different definition) and it is recorded
    /// (migrated) in the same transaction.
    @discardableResult
    public func adoptStudy(studyHash: String, trialDefinitionHash: String, resolvedStudyJSON: String, version: String,
                           definitionOfStoredJSON: (String) -> String?) throws -> StudyAdoption {
        try requireWritable()
        return try connection.transaction("adopt study") {
            guard let stored = try readStudy() else {
                try setStudyValue("study_hash", studyHash)
                try setStudyValue("trial_definition_hash", trialDefinitionHash)
                try setStudyValue("resolved_study_json", resolvedStudyJSON)
                try setStudyValue("gfmc_version_created", version)
                try setStudyValue("gfmc_version_last", version)
                try setStudyValue("schema_version", String(StudyStore.schemaVersion))
                return .created
            }
            var storedDefinition = stored.trialDefinitionHash
            if storedDefinition == nil, let computed = definitionOfStoredJSON(stored.resolvedStudyJSON) {
                storedDefinition = computed
                try setStudyValue("trial_definition_hash", computed)
                try logEvent(kind: "migrate", detail: "recorded the trial definition hash \(computed.prefix(12))")
            }
            if stored.lastVersion != version {
                try setStudyValue("gfmc_version_last", version)
                try logEvent(kind: "version", detail: "gfmc \(stored.lastVersion) -> \(version)")
            }
            if stored.studyHash == studyHash { return .unchanged }
            guard storedDefinition == trialDefinitionHash else {
                throw TrialDefinitionMismatch(path: path, storedDefinitionHash: storedDefinition ?? "unknown",
                                              requestedDefinitionHash: trialDefinitionHash,
                                              storedJSON: stored.resolvedStudyJSON)
            }
            try setStudyValue("study_hash", studyHash)
            try setStudyValue("resolved_study_json", resolvedStudyJSON)
            try logEvent(kind: "resize", detail: "study \(stored.studyHash.prefix(12)) -> \(studyHash.prefix(12)) "
                         + "(same trial definition; \(try count()) stored trials kept)")
            return .resized(previousJSON: stored.resolvedStudyJSON)
        }
    }
}

import Foundation

extension StudyDescription {
    /// The keys that say how large a study is, not what any of its trials is: `name`, `trials`, `widths` and
    /// `precision` (how many trials to run). A trial is a pure function of everything else (data,
    /// initialization, engine settings, seed) and of its own width and index, so two studies that differ only
    /// in these keys share every trial they both contain.
    public static let studySizeKeys: Set<String> = ["name", "trials", "widths", "precision"]

    /// The resolved study without the size keys (`studySizeKeys`): what defines a trial. A data file enters by
    /// its content: `data.x_file`/`data.y_file` are left out when the study records the file's SHA-256
    /// (`x_sha256`/`y_sha256`, always so for a loaded study), so the same data at another path (another
    /// machine or cluster) defines the same trials.
    public var trialDefinitionValue: JSONValue {
        guard case .object(var members) = jsonValue else { return jsonValue }
        for key in Self.studySizeKeys { members[key] = nil }
        if case .object(var data)? = members["data"] {
            if data["x_sha256"] != nil { data["x_file"] = nil }
            if data["y_sha256"] != nil { data["y_file"] = nil }
            members["data"] = .object(data)
        }
        return .object(members)
    }

    /// Canonical JSON (as `canonicalJSON`) of `trialDefinitionValue`.
    public var trialDefinitionJSON: String { trialDefinitionValue.canonicalText }

    /// Lowercase hex SHA-256 of `trialDefinitionJSON`. Equal for two studies exactly when every trial they
    /// both contain (same width and index) is the same function of the same inputs, so a store of one can be
    /// reused by, or merged with, the other. Unchanged by `name`, `trials`, `widths` and `precision`; changed
    /// by any other key (seed, data, init, engine, method, scheme, GD settings, tolerances, deltas,
    /// rank_tolerance).
    public var trialDefinitionHash: String { SHA256.hexDigest(trialDefinitionJSON) }

    /// The trial definition hash of a stored resolved study (JSON text as a store keeps it); nil when the text
    /// does not parse with this gfmc.
    public static func trialDefinitionHash(ofResolvedJSON text: String) -> String? {
        (try? parse(text))?.trialDefinitionHash
    }

    /// Which trial-defining keys differ between two studies, one line per changed leaf as `diff` writes them
    /// (`"seed: 7 → 8"`). Empty exactly when the trial definition hashes are equal.
    public static func trialDefinitionDiff(_ old: StudyDescription, _ new: StudyDescription) -> [String] {
        var changes: [String] = []
        diffValues(old.trialDefinitionValue, new.trialDefinitionValue, path: "", into: &changes)
        return changes
    }

    /// This study with another size: `widths` (sorted increasing and de-duplicated, as a resolved study holds
    /// them) and either a fixed `trials` count (and no `precision`) or, when `trials` is nil, `precision` targets.
    /// The trial definition is unchanged.
    public func resized(widths: [Int], trials: Int?, precision: PrecisionTargets?) -> StudyDescription {
        var copy = self
        copy.widths = Array(Set(widths)).sorted()
        copy.trials = trials
        copy.precision = trials == nil ? precision : nil
        return copy
    }
}

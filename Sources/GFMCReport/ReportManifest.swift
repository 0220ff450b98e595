import GFMCModel

/// What a report needs to know about the study that produced the trials. Filled by the caller (the runtime
/// reads it from the study and the store); this module deliberately does not depend on GFMCStudy's types.
public struct ReportManifest: Codable, Equatable, Sendable {
    /// Human-readable study name.
    public var studyName: String
    /// Hash of the resolved study (hex), identifying exactly which study these trials belong to.
    public var studyHash: String
    /// Version string of the gfmc build that wrote the report.
    public var gfmcVersion: String
    /// Study seed from which every trial's randomness derives.
    public var seed: UInt64
    /// Engine: "weights", "gram" or "sampled".
    public var engine: String
    /// "flow" (gradient-flow ODE) or "gd" (gradient descent).
    public var method: String
    /// Initialization exponent α (entries N(0, h^{−2α})); nil when the initialization has no α.
    public var alpha: Double?
    /// Failure probabilities δ of the study, in the study's order (index i ↔ `TrialResult.bounds[i]`).
    public var deltas: [Double]
    /// Hidden widths h of the study (reports list these even when no trial has arrived yet).
    public var widths: [Int]
    /// Trials planned per width when the study asks for a fixed count; nil for a precision-driven study.
    public var plannedTrialsPerWidth: Int?
    /// The resolved study, verbatim, as the JSON text the study module wrote (a string, so this module needs
    /// no knowledge of the study schema and the hash can be recomputed from exactly these bytes).
    public var resolvedStudy: String

    public init(studyName: String, studyHash: String, gfmcVersion: String, seed: UInt64, engine: String,
                method: String, alpha: Double?, deltas: [Double], widths: [Int],
                plannedTrialsPerWidth: Int?, resolvedStudy: String) {
        self.studyName = studyName
        self.studyHash = studyHash
        self.gfmcVersion = gfmcVersion
        self.seed = seed
        self.engine = engine
        self.method = method
        self.alpha = alpha
        self.deltas = deltas
        self.widths = widths
        self.plannedTrialsPerWidth = plannedTrialsPerWidth
        self.resolvedStudy = resolvedStudy
    }

    /// Theory exponent of the distance decay, −(2α − 1/2) (theory.md §4); nil without α.
    public var theoryExponent: Double? { alpha.map { -(2 * $0 - 0.5) } }
}

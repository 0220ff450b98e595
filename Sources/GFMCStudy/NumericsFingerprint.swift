import GFMCModel

/// A short string that changes whenever the numbers this build computes could change: the SHA-256 of
/// the bit patterns of a small deterministic reference study's results (one trial at two widths with each
/// engine: weights, gram, sampled). Two builds with the same fingerprint computed the reference bit for
/// bit alike; the coordinator refuses workers whose fingerprint differs from its own (docs/protocol.md).
///
/// Computing it takes a few milliseconds (tiny problem); `current` computes it once per process.
public enum NumericsFingerprint {
    /// Environment variable that replaces the computed fingerprint of this process by its value. For tests
    /// only: it lets a test start a worker that claims other numerics, to exercise the real refusal path.
    public static let testOverrideVariable = "GFMC_TEST_NUMERICS_FINGERPRINT"

    /// The reference study (fixed forever; changing it changes every fingerprint).
    static let referenceStudy = """
    {"name": "numerics-fingerprint", "seed": 20211,
     "data": {"recipe": "gaussian", "samples": 8, "input_dim": 6, "output_dim": 2, "noise": 0.01},
     "init": {"kind": "width_scaled", "alpha": 0.5}, "widths": [3, 12], "trials": 1,
     "engine": "weights", "method": "flow", "deltas": [0.05]}
    """

    /// "nf1-" followed by 16 hexadecimal digits.
    /// - Throws: when the reference study cannot be run (a broken build).
    public static func compute() throws -> String {
        let study = try StudyDescription.parse(referenceStudy)
        var bytes: [UInt8] = []
        func append(_ value: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
        for engine in [EngineChoice.weights, .gram, .sampled] {
            let executor = try StudyExecutor(study: study, engineOverride: engine)
            for width in study.widths {
                let r = try executor.run(TrialID(width: width, index: 0))
                append(UInt64(bitPattern: Int64(r.steps)))
                append(UInt64(bitPattern: Int64(r.rhsEvaluations)))
                for value in [r.finalTime, r.distanceFrobenius, r.distanceOperator, r.distanceFrobeniusDirect,
                              r.distanceOperatorDirect, r.initialNullSpaceCoupling, r.initialLoss, r.finalLoss,
                              r.optimalLoss, r.effectiveImbalance, r.deltaPlus, r.deltaMinus, r.margin,
                              r.rateConstant, r.theorem3Rate, r.measuredRate, r.imbalanceDrift, r.lemma34Quantity,
                              r.lemma35Quantity, r.predictedDistance] {
                    append(value.bitPattern)
                }
            }
        }
        return "nf1-" + String(SHA256.hexDigest(bytes).prefix(16))
    }

    private static let computed: Result<String, NumericsFingerprintError> = {
        do { return .success(try compute()) } catch { return .failure(NumericsFingerprintError(detail: "\(error)")) }
    }()

    /// This process's fingerprint: `environment[testOverrideVariable]` when set and non-empty (tests only),
    /// else `compute()` (once per process).
    public static func current(environment: [String: String]) throws -> String {
        if let override = environment[testOverrideVariable], !override.isEmpty { return override }
        return try computed.get()
    }
}

/// The reference study of `NumericsFingerprint` could not be run (a broken build).
public struct NumericsFingerprintError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "cannot compute the numerics fingerprint: \(detail)" }
}

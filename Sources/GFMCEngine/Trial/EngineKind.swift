/// Which engine runs a trial.
///
/// * `weights`: integrates U (n×h), V (m×h) themselves (cost grows with h).
/// * `gram`: integrates the exact reduced Gram matrix K_r from an explicit U(0), V(0) (per-step cost
///   independent of h; building K_r(0) costs O((n+m)(r+m)h) once).
/// * `sampled`: draws (K_r(0), C(0)) directly in distribution (theory.md §5.1) and integrates K_r: the cost of
///   a trial does not depend on h. Exact in distribution only for i.i.d. Gaussian starts (and the invariant
///   set), so it needs `InitializationSpec.isReducedSamplable`.
/// The integration method (flow or gradient descent) is `IntegrationSettings.method`.
public enum EngineKind: String, Sendable, Codable, CaseIterable {
    case weights, gram, sampled

    /// The `auto` choice: `sampled` wherever it is exact in distribution (i.i.d. Gaussian starts and the
    /// invariant set), otherwise `gram` (exact for any explicit start, cost independent of h per step).
    public static func automatic(for spec: InitializationSpec) -> EngineKind {
        spec.isReducedSamplable ? .sampled : .gram
    }

    /// Parses "weights", "gram", "sampled" or "auto" (resolved with `automatic(for:)`).
    /// - Throws: `TrialError.invalid(field: "engine", …)` for any other name, or for `sampled` with an
    ///   initialization it cannot sample.
    public static func resolve(_ name: String, for spec: InitializationSpec) throws -> EngineKind {
        if name == "auto" { return automatic(for: spec) }
        guard let kind = EngineKind(rawValue: name) else {
            throw TrialError.invalid(field: "engine", reason: "unknown engine \"\(name)\" (expected weights, gram, sampled or auto)")
        }
        try kind.checkSupports(spec)
        return kind
    }

    /// Throws `TrialError.invalid(field: "engine", …)` when this engine cannot run `spec`.
    public func checkSupports(_ spec: InitializationSpec) throws {
        if self == .sampled && !spec.isReducedSamplable {
            throw TrialError.invalid(field: "engine",
                                     reason: "the sampled engine needs an i.i.d. Gaussian or invariant-set initialization, not \(spec.name) (use gram or weights)")
        }
    }
}

/// Invalid input to a trial; names the field (`width`, `index`, `alpha`, `deltas`, `engine`, …).
public enum TrialError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let f, let r): return "\(f): \(r)"
        }
    }
}

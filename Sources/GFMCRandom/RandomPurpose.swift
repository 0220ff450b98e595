/// What a random stream is used for. Each purpose gives an independent stream for the same study seed and
/// trial, so adding draws for one purpose never shifts the draws of another.
///
/// The raw values are part of the reproducibility contract (they enter the Philox counter, see
/// `RandomStream`) and must never change:
/// `data` = 1, `initialU` = 2, `initialV` = 3, `reducedState` = 4, `nullSpace` = 5, `custom(v)` = v.
/// Custom values must be at least `RandomPurpose.firstCustomValue` (256) so they cannot collide with the named
/// purposes; `RandomStream.init` traps otherwise.
public enum RandomPurpose: Hashable, Sendable, CustomStringConvertible {
    /// The synthetic data set (X, Y) of a study.
    case data
    /// The explicit initial U(0) (n×h) when the engine samples it entry by entry.
    case initialU
    /// The explicit initial V(0) (m×h).
    case initialV
    /// The reduced state K_r(0) sampled as a Wishart matrix (Bartlett decomposition).
    case reducedState
    /// The Gaussian factor G of the null-space block C(0) = σ_U G K_r(0)^{1/2} (conditional Gaussian).
    case nullSpace
    /// Any other use; the value must be ≥ `firstCustomValue`.
    case custom(UInt32)

    /// The smallest allowed `custom` value.
    public static let firstCustomValue: UInt32 = 256

    /// The 32-bit word that enters the Philox counter.
    public var rawValue: UInt32 {
        switch self {
        case .data: 1
        case .initialU: 2
        case .initialV: 3
        case .reducedState: 4
        case .nullSpace: 5
        case .custom(let value): value
        }
    }

    public var description: String {
        switch self {
        case .data: "data"
        case .initialU: "initialU"
        case .initialV: "initialV"
        case .reducedState: "reducedState"
        case .nullSpace: "nullSpace"
        case .custom(let value): "custom(\(value))"
        }
    }
}

/// Identity of one Monte Carlo trial inside a study: the hidden width and the trial's index at that width.
/// Every random draw of the trial derives from (study seed, width, index) alone.
public struct TrialID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let width: Int
    public let index: Int

    public init(width: Int, index: Int) {
        self.width = width
        self.index = index
    }

    /// Sorted by width, then index (the order of `trials.csv`).
    public static func < (a: TrialID, b: TrialID) -> Bool {
        (a.width, a.index) < (b.width, b.index)
    }

    public var description: String { "h=\(width)#\(index)" }
}

/// The paper's probabilistic bounds evaluated for one failure probability δ (theory.md §4).
/// Each `*Holds` compares the trial's measured quantity with the bound at this δ.
public struct BoundCheck: Codable, Equatable, Sendable {
    /// Failure probability δ ∈ (0, 1).
    public var delta: Double
    /// Lemma 11 (34) right-hand side; `lemma34Holds` ⇔ ‖[V(0)U2(0)ᵀ; U1(0)U2(0)ᵀ]‖_F ≤ it.
    public var lemma34Bound: Double
    public var lemma34Holds: Bool
    /// Lemma 11 (35) right-hand side; `lemma35Holds` ⇔ ‖U1(0)V(0)ᵀ‖_F ≤ it.
    public var lemma35Bound: Double
    public var lemma35Holds: Bool
    /// Theorem 12 right-hand side exactly as stated (with ½·log(2/δ)).
    public var theorem12Bound: Double
    /// ⇔ the final distance (operator norm) ≤ `theorem12Bound`.
    public var theorem12Holds: Bool
    /// Theorem 12 with the Gaussian-tail correction sqrt(log(2/δ)) in place of ½·log(2/δ).
    public var theorem12BoundCorrected: Double
    public var theorem12CorrectedHolds: Bool
    /// Width threshold h0^{1/(4α−1)} of Theorem 12 (as stated), and whether this trial's h exceeds it.
    public var theorem12WidthThreshold: Double
    public var widthExceedsThreshold: Bool

    public init(delta: Double, lemma34Bound: Double, lemma34Holds: Bool, lemma35Bound: Double,
                lemma35Holds: Bool, theorem12Bound: Double, theorem12Holds: Bool,
                theorem12BoundCorrected: Double, theorem12CorrectedHolds: Bool,
                theorem12WidthThreshold: Double, widthExceedsThreshold: Bool) {
        self.delta = delta
        self.lemma34Bound = lemma34Bound
        self.lemma34Holds = lemma34Holds
        self.lemma35Bound = lemma35Bound
        self.lemma35Holds = lemma35Holds
        self.theorem12Bound = theorem12Bound
        self.theorem12Holds = theorem12Holds
        self.theorem12BoundCorrected = theorem12BoundCorrected
        self.theorem12CorrectedHolds = theorem12CorrectedHolds
        self.theorem12WidthThreshold = theorem12WidthThreshold
        self.widthExceedsThreshold = widthExceedsThreshold
    }
}

/// Everything one trial reports. A pure function of (study, trial identity): bit-identical on every
/// machine and in every order, except `wallSeconds`, which is measured and therefore excluded from
/// determinism checks and from `trials.csv`'s reproducible columns.
///
/// Norms: `*Frobenius` is ‖·‖_F, `*Operator` is ‖·‖₂ (largest singular value).
/// A trial that stopped at a cap has `converged == false` and keeps its last values; it is reported,
/// never silently dropped or counted as converged.
public struct TrialResult: Codable, Equatable, Sendable {
    public var id: TrialID
    /// Engine that ran the trial: "weights", "gram" or "sampled".
    public var engine: String
    /// "flow" (adaptive ODE integration of the gradient flow) or "gd" (fixed-step gradient descent).
    public var method: String

    // MARK: Convergence
    public var converged: Bool
    /// Why integration stopped (a trial that failed numerically is reported, not dropped).
    public var stopReason: StopReason
    public var steps: Int
    public var rhsEvaluations: Int
    /// Gradient-flow time reached (for "gd": t = η·k in the loss's own time units).
    public var finalTime: Double
    /// Measured wall-clock seconds (not reproducible; excluded from determinism comparisons).
    public var wallSeconds: Double

    // MARK: Distance to the min-norm solution Θ̂
    /// ‖U(∞)V(∞)ᵀ − Θ̂‖ by the exact identity ‖U2(0)V(∞)ᵀ‖ (theory.md §2).
    public var distanceFrobenius: Double
    public var distanceOperator: Double
    /// The direct difference ‖UVᵀ − Θ̂‖ as a cross-check; NaN where the engine has no explicit Θ
    /// (the `sampled` engine works in reduced space only).
    public var distanceFrobeniusDirect: Double
    public var distanceOperatorDirect: Double
    /// ‖U2(0)V(0)ᵀ‖_F (the paper's Appendix A.3 companion quantity).
    public var initialNullSpaceCoupling: Double

    // MARK: Loss
    public var initialLoss: Double
    public var finalLoss: Double
    /// L* = ½‖(I − WWᵀ)Y‖_F².
    public var optimalLoss: Double

    // MARK: Imbalance and rate (theory.md §3)
    /// Δ̲(0), Δ+(0), Δ−(0) from the conserved imbalance spectrum.
    public var effectiveImbalance: Double
    public var deltaPlus: Double
    public var deltaMinus: Double
    /// The margin term [σ(Ỹ) − ‖Ỹ − Σx^{1/2}U1Vᵀ‖_F]₊ at t = 0, with σ = σm(Ỹ) (the first term of c).
    public var margin: Double
    /// c(0) of Theorem 3.
    public var rateConstant: Double
    /// Theorem 3's guaranteed exponential rate λr(Σx)·c(0).
    public var theorem3Rate: Double
    /// Measured asymptotic rate −d log(L − L*)/dt near the end of the run (NaN when not measurable).
    public var measuredRate: Double
    /// Whether L(t) − L* ≤ exp(−λr c(0) t)(L(0) − L*) held at every checked time (relative slack 1e-9).
    public var theorem3Holds: Bool
    /// Relative drift of the conserved imbalance spectrum between t = 0 and the end.
    public var imbalanceDrift: Double

    // MARK: Lemma 11 / Theorem 12 (theory.md §4)
    /// Δ̲(0) > h^{1−2α} (Lemma 11 (33)); false when α is not defined for the initialization.
    public var lemma33Holds: Bool
    /// ‖[V(0)U2(0)ᵀ ; U1(0)U2(0)ᵀ]‖_F (the measured quantity of (34)).
    public var lemma34Quantity: Double
    /// ‖U1(0)V(0)ᵀ‖_F (the measured quantity of (35)).
    public var lemma35Quantity: Double
    /// One entry per δ of the study, in the study's order.
    public var bounds: [BoundCheck]
    /// Leading-order finite-width prediction of the distance (theory.md §6); NaN where it does not apply.
    public var predictedDistance: Double

    public init(id: TrialID, engine: String, method: String) {
        self.id = id
        self.engine = engine
        self.method = method
        converged = false
        stopReason = .notRun
        steps = 0
        rhsEvaluations = 0
        finalTime = 0
        wallSeconds = 0
        distanceFrobenius = .nan
        distanceOperator = .nan
        distanceFrobeniusDirect = .nan
        distanceOperatorDirect = .nan
        initialNullSpaceCoupling = .nan
        initialLoss = .nan
        finalLoss = .nan
        optimalLoss = .nan
        effectiveImbalance = .nan
        deltaPlus = .nan
        deltaMinus = .nan
        margin = .nan
        rateConstant = .nan
        theorem3Rate = .nan
        measuredRate = .nan
        theorem3Holds = false
        imbalanceDrift = .nan
        lemma33Holds = false
        lemma34Quantity = .nan
        lemma35Quantity = .nan
        bounds = []
        predictedDistance = .nan
    }
}

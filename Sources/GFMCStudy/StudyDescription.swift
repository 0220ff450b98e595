import GFMCEngine
import GFMCModel

/// A resolved study: every default filled in, every value validated. Built from a study file by
/// `StudyDescription.parse(_:)` / `load(path:)`; its identity is `identityHash`, the SHA-256 of
/// `canonicalJSON` (which is itself a valid study file that parses back to an equal description).
///
/// The study file format (JSON; `//` and `/* */` comments allowed) is documented key by key on the
/// properties below; `docs/study-format.md` would repeat it. Unknown keys are errors.
public struct StudyDescription: Codable, Equatable, Sendable {
    /// `name` (required): a label for the run directory and reports. Non-empty.
    public var name: String
    /// `seed` (default 1): the study seed, an unsigned 64-bit integer. Every initialization draw derives from
    /// (seed, width, trial index, purpose).
    public var seed: UInt64
    /// `data` (required): the data recipe.
    public var data: StudyData
    /// `init` (default `{"kind": "width_scaled", "alpha": 0.5}`): the random initialization.
    public var initialization: StudyInitialization
    /// `widths` (required): hidden widths h ≥ 1, sorted increasing, distinct. In the file either a list of
    /// integers or `{"from": a, "to": b, "count": k, "spacing": "log"|"linear"}` (rounded to the nearest
    /// integer; duplicates after rounding are an error). The resolved form is always the explicit list.
    public var widths: [Int]
    /// `trials` (exactly one of `trials` / `precision`): random initializations per width, ≥ 1.
    public var trials: Int?
    /// `precision`: run until every target is met at every width (or the cap); see `PrecisionTargets`.
    public var precision: PrecisionTargets?
    /// `engine` (default "auto"): which engine integrates a trial.
    public var engine: EngineChoice
    /// `method` (default "flow"): the gradient flow (adaptive ODE integration) or gradient descent.
    public var method: MethodChoice
    /// `scheme` (only with "flow"; default "dopri5"): the embedded Runge–Kutta pair of the flow, "dopri5"
    /// (Dormand–Prince 5(4)) or "dop853" (Dormand–Prince 8(5,3), about half the evaluations). The default is
    /// left out of the canonical JSON, so studies that do not name a scheme keep the identity hash (and the
    /// bit-identical results) they had before the key existed; naming "dop853" changes the hash, so its trials
    /// are never mixed with Dormand–Prince 5(4) trials in one run directory.
    public var scheme: IntegrationScheme
    /// `gd_step` (required when `method` is "gd", not allowed otherwise): the GD step η, > 0, on the loss
    /// selected by `gdLoss`.
    public var gdStep: Double?
    /// `gd_loss` (only with "gd"; default "half"): which loss `gd_step` refers to. See `GDLossScaling`.
    public var gdLoss: GDLossScaling?
    /// `tolerances`: stopping rule and caps (all keys optional).
    public var tolerances: Tolerances
    /// `deltas` (default [0.05]): failure probabilities δ ∈ (0, 1) at which Lemma 11 and Theorem 12 are
    /// evaluated, strictly increasing. An empty list evaluates no bounds.
    public var deltas: [Double]
    /// `rank_tolerance` (default "auto"): singular values of X at or below this count as zero; nil ("auto")
    /// means σ₁·max(N, n)·ε (NumPy's `matrix_rank` rule).
    public var rankTolerance: Double?

    enum CodingKeys: String, CodingKey {
        case name, seed, data, initialization = "init", widths, trials, precision, engine, method, scheme
        case gdStep = "gd_step", gdLoss = "gd_loss", tolerances, deltas, rankTolerance = "rank_tolerance"
    }

    /// Builds a description in code. Nothing is checked here: call `validated()` before using it.
    public init(name: String, seed: UInt64 = 1, data: StudyData,
                initialization: StudyInitialization = .init(kind: .widthScaled, alpha: 0.5),
                widths: [Int], trials: Int? = nil, precision: PrecisionTargets? = nil,
                engine: EngineChoice = .auto, method: MethodChoice = .flow, scheme: IntegrationScheme = .dopri5,
                gdStep: Double? = nil,
                gdLoss: GDLossScaling? = nil, tolerances: Tolerances = Tolerances(), deltas: [Double] = [0.05],
                rankTolerance: Double? = nil) {
        self.name = name
        self.seed = seed
        self.data = data
        self.initialization = initialization
        self.widths = widths
        self.trials = trials
        self.precision = precision
        self.engine = engine
        self.method = method
        self.scheme = scheme
        self.gdStep = gdStep
        self.gdLoss = gdLoss
        self.tolerances = tolerances
        self.deltas = deltas
        self.rankTolerance = rankTolerance
    }

    /// Every trial of a fixed-trial study, ordered by width then index (the order of `trials.csv`);
    /// nil for a `precision` study, whose trial count per width is decided while it runs.
    public var trialIDs: [TrialID]? {
        guard let trials else { return nil }
        return widths.flatMap { h in (0..<trials).map { TrialID(width: h, index: $0) } }
    }

    /// Every trial of a fixed-trial study as one bitset per width, built word by word without an array
    /// of trials (about 1 bit per trial: 12.5 MB for 20 widths × 5·10^6); nil for a `precision` study.
    public var trialSet: TrialIndexSet? {
        guard let trials else { return nil }
        return TrialIndexSet(widths: widths, indices: 0..<trials)
    }

    /// Total number of trials of a fixed-trial study (nil for `precision`).
    public var totalTrials: Int? { trials.map { $0 * widths.count } }

    /// The GD step on the loss ½‖Y − XUVᵀ‖_F² that the engine integrates, for data with `samples` rows:
    /// η for `gd_loss: "half"`, 2η/N for `gd_loss: "mean"` (GD with step η on (1/N)‖·‖² is GD with step
    /// 2η/N on ½‖·‖²; the paper's §7.2/§7.3 experiments use the mean form). nil for `method: "flow"`.
    public func effectiveGDStep(samples: Int) -> Double? {
        guard method == .gd, let gdStep else { return nil }
        switch gdLoss ?? .half {
        case .half: return gdStep
        case .mean: return 2 * gdStep / Double(samples)
        }
    }
}

/// `engine`.
public enum EngineChoice: String, Codable, Sendable, CaseIterable {
    /// `sampled` where it is exact in distribution (i.i.d. Gaussian and invariant-set starts), else `gram`.
    case auto
    /// Integrates U (n×h) and V (m×h) directly.
    case weights
    /// The exact Gram-matrix reduction from an explicit initialization (cost independent of h per step).
    case gram
    /// Samples the reduced initial state in distribution; cost independent of h.
    case sampled
}

/// `method`.
public enum MethodChoice: String, Codable, Sendable, CaseIterable {
    /// Adaptive embedded Runge–Kutta integration of the gradient flow.
    case flow
    /// Fixed-step gradient descent (the paper's procedure).
    case gd
}

/// `gd_loss`: the loss a GD step size refers to.
public enum GDLossScaling: String, Codable, Sendable, CaseIterable {
    /// ½‖Y − XUVᵀ‖_F² (this project's loss): the step is used as is.
    case half
    /// (1/N)‖Y − XUVᵀ‖_F² (the paper's §7.2/§7.3 loss): the step η becomes 2η/N on the ½-loss.
    case mean
}

/// `data`: where X and Y come from. Which keys are allowed depends on `recipe`.
public struct StudyData: Codable, Equatable, Sendable {
    public enum Recipe: String, Codable, Sendable, CaseIterable {
        /// X entries N(0, x_variance) (default 1/n), Θ ~ N(0, I/n), ε ~ N(0, noise²), Y = XΘ + ε (§7.3).
        case gaussian
        /// X = WΦ1ᵀ from the SVD of an N(0,1) matrix (all singular values 1); Y as for gaussian (§7.2).
        case whitened
        /// X = I_n/sqrt(m·h) (depends on the width), Y entries N(0, y_variance) (§7.1).
        case factorization
        /// X and Y read from CSV or NumPy `.npy` files.
        case files
    }

    /// `recipe` (required).
    public var recipe: Recipe
    /// `samples` N ≥ 1 (gaussian, whitened; required).
    public var samples: Int?
    /// `input_dim` n ≥ 1 (gaussian, whitened, factorization; required).
    public var inputDim: Int?
    /// `output_dim` m ≥ 1 (gaussian, whitened, factorization; default 1).
    public var outputDim: Int?
    /// `noise`: standard deviation of ε, ≥ 0 (gaussian, whitened; default 0.01).
    public var noise: Double?
    /// `x_variance`: variance of X's entries, > 0 (gaussian only; default "auto" = 1/n, omitted when auto).
    public var xVariance: Double?
    /// `y_variance`: variance of Y's entries, > 0 (factorization; default 0.1).
    public var yVariance: Double?
    /// `data_seed` (synthetic recipes; default: the study seed): seed of the data draws.
    public var dataSeed: UInt64?
    /// `x_file`, `y_file` (files; required): paths to `.csv` or `.npy` matrices (N×n and N×m). Relative paths
    /// are resolved against the study file's directory by `load(path:)`.
    public var xFile: String?
    public var yFile: String?
    /// `x_sha256`, `y_sha256` (files; optional in the file, filled by `load(path:)`): SHA-256 of the data
    /// files' bytes, so the study's identity covers the data; a mismatch is an error.
    public var xSHA256: String?
    public var ySHA256: String?

    enum CodingKeys: String, CodingKey {
        case recipe, samples, inputDim = "input_dim", outputDim = "output_dim", noise
        case xVariance = "x_variance", yVariance = "y_variance", dataSeed = "data_seed"
        case xFile = "x_file", yFile = "y_file", xSHA256 = "x_sha256", ySHA256 = "y_sha256"
    }

    public init(recipe: Recipe, samples: Int? = nil, inputDim: Int? = nil, outputDim: Int? = nil,
                noise: Double? = nil, xVariance: Double? = nil, yVariance: Double? = nil, dataSeed: UInt64? = nil,
                xFile: String? = nil, yFile: String? = nil, xSHA256: String? = nil, ySHA256: String? = nil) {
        self.recipe = recipe
        self.samples = samples
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.noise = noise
        self.xVariance = xVariance
        self.yVariance = yVariance
        self.dataSeed = dataSeed
        self.xFile = xFile
        self.yFile = yFile
        self.xSHA256 = xSHA256
        self.ySHA256 = ySHA256
    }

    /// True when X depends on the hidden width (one Problem per width).
    public var dependsOnWidth: Bool { recipe == .factorization }
}

/// `init`: the initialization of U(0), V(0).
///
/// * `width_scaled`: entries N(0, h^{−2α}); key `alpha` ∈ (0, 1] (default 0.5).
/// * `gaussian`: U entries N(0, sigma_u²), V entries N(0, sigma_v²); `sigma_u`, `sigma_v` > 0 required.
/// * `invariant_set`: Proposition 10's start (U2(0) = 0) at the scale of either `alpha` or
///   (`sigma_u`, `sigma_v`) (default alpha 0.5).
/// * `balanced`: the balanced factorization of a Gaussian start's end-to-end matrix (paper §5.2), at the scale
///   of either `alpha` or (`sigma_u`, `sigma_v`) (default alpha 0.5).
public struct StudyInitialization: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case widthScaled = "width_scaled"
        case gaussian
        case invariantSet = "invariant_set"
        case balanced
    }

    public var kind: Kind
    /// α of the width scaling (nil when the scale is given by sigmas).
    public var alpha: Double?
    public var sigmaU: Double?
    public var sigmaV: Double?

    enum CodingKeys: String, CodingKey {
        case kind, alpha, sigmaU = "sigma_u", sigmaV = "sigma_v"
    }

    public init(kind: Kind, alpha: Double? = nil, sigmaU: Double? = nil, sigmaV: Double? = nil) {
        self.kind = kind
        self.alpha = alpha
        self.sigmaU = sigmaU
        self.sigmaV = sigmaV
    }

    /// True when the `sampled` engine is exact in distribution for this start (all but `balanced`).
    public var isReducedSamplable: Bool { kind != .balanced }
}

/// `tolerances`: when a trial stops (all keys optional). The names map one to one onto the engine's
/// `IntegrationSettings`, whose documentation states the exact stopping rule and accuracy contract.
public struct Tolerances: Codable, Equatable, Sendable {
    /// `relative` (default 1e-10): relative local error tolerance of the adaptive integrator, in (0, 1).
    public var relative: Double
    /// `absolute` (default 1e-14): absolute local error tolerance (units of the state's entries), ≥ 0.
    public var absolute: Double
    /// `excess_loss` (default 1e-12): converged needs L − L* ≤ this, in units of the ½-loss
    /// ½‖Y − XUVᵀ‖_F² (for the paper's "mean loss < ε" with N samples use N·ε/2). ≥ 0.
    public var excessLoss: Double
    /// `theta_change` (default 1e-10): converged also needs the estimated remaining relative motion of the
    /// end-to-end matrix (2μ/ρ, see `IntegrationSettings`) ≤ this. > 0; 1e300 stops on the loss alone
    /// (the paper's rule).
    public var thetaChange: Double
    /// `max_steps` (default 1 000 000): integrator steps or GD iterations before the trial stops unconverged. ≥ 1.
    public var maxSteps: Int
    /// `max_time` (default 1e6): cap on gradient-flow time t (GD: t = η·k on the ½-loss), > 0. Deterministic,
    /// unlike a wall-clock cap.
    public var maxTime: Double

    enum CodingKeys: String, CodingKey {
        case relative, absolute, excessLoss = "excess_loss", thetaChange = "theta_change"
        case maxSteps = "max_steps", maxTime = "max_time"
    }

    public init(relative: Double = 1e-10, absolute: Double = 1e-14, excessLoss: Double = 1e-12,
                thetaChange: Double = 1e-10, maxSteps: Int = 1_000_000, maxTime: Double = 1e6) {
        self.relative = relative
        self.absolute = absolute
        self.excessLoss = excessLoss
        self.thetaChange = thetaChange
        self.maxSteps = maxSteps
        self.maxTime = maxTime
    }
}

/// `precision`: instead of a fixed trial count, run trials at each width until every target's confidence
/// interval half-width is at most `halfWidth`, or `maxTrialsPerWidth` is reached.
public struct PrecisionTargets: Codable, Equatable, Sendable {
    /// `targets` (required, non-empty).
    public var targets: [PrecisionTarget]
    /// `confidence` (default 0.95): the intervals' confidence level, in (0, 1).
    public var confidence: Double
    /// `min_trials_per_width` (default 10): trials before a width's targets are checked, ≥ 2.
    public var minTrialsPerWidth: Int
    /// `max_trials_per_width` (required): the cap per width, ≥ `min_trials_per_width`.
    public var maxTrialsPerWidth: Int

    enum CodingKeys: String, CodingKey {
        case targets, confidence, minTrialsPerWidth = "min_trials_per_width"
        case maxTrialsPerWidth = "max_trials_per_width"
    }

    public init(targets: [PrecisionTarget], confidence: Double = 0.95, minTrialsPerWidth: Int = 10,
                maxTrialsPerWidth: Int) {
        self.targets = targets
        self.confidence = confidence
        self.minTrialsPerWidth = minTrialsPerWidth
        self.maxTrialsPerWidth = maxTrialsPerWidth
    }
}

/// One precision target: a statistic and the largest acceptable confidence-interval half-width.
public struct PrecisionTarget: Codable, Equatable, Sendable {
    public enum Statistic: String, Codable, Sendable, CaseIterable {
        /// Mean of `distance_frobenius` / `distance_operator` (Student-t interval).
        case meanDistanceFrobenius = "mean_distance_frobenius"
        case meanDistanceOperator = "mean_distance_operator"
        /// Probabilities (Wilson interval) that a bound holds; the δ-dependent ones need `delta`.
        case theorem12Holds = "theorem12_holds"
        case theorem12CorrectedHolds = "theorem12_corrected_holds"
        case lemma34Holds = "lemma34_holds"
        case lemma35Holds = "lemma35_holds"
        case lemma33Holds = "lemma33_holds"
        case theorem3Holds = "theorem3_holds"

        /// Whether the statistic is evaluated at a δ (and so needs `delta`).
        public var needsDelta: Bool {
            switch self {
            case .theorem12Holds, .theorem12CorrectedHolds, .lemma34Holds, .lemma35Holds: return true
            default: return false
            }
        }
    }

    /// `statistic` (required).
    public var statistic: Statistic
    /// `half_width` (required): the largest acceptable interval half-width (absolute, in the statistic's
    /// units; probabilities are in [0, 1]), > 0.
    public var halfWidth: Double
    /// `delta`: which δ of the study's `deltas` (required exactly for δ-dependent statistics).
    public var delta: Double?

    enum CodingKeys: String, CodingKey {
        case statistic, halfWidth = "half_width", delta
    }

    public init(statistic: Statistic, halfWidth: Double, delta: Double? = nil) {
        self.statistic = statistic
        self.halfWidth = halfWidth
        self.delta = delta
    }
}

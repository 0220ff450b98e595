import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// The paper's wide-network problem (theory.md §7.3, Appendix A.3), the workload of `gfmc bench`:
/// N = 100 samples, input dimension n = 400, m = 1, X entries N(0, 1/400), Y = XΘ + ε with Θ ~ N(0, I/n),
/// ε ~ N(0, 0.01²) (`DataRecipe.gaussian`), U(0), V(0) entries N(0, 1/h) (`InitializationSpec.widthScaled(α = ½)`).
public struct BenchWideNetwork: Sendable {
    public static let samples = 100, inputDimension = 400, outputDimension = 1
    public static let noise = 0.01
    public static let alpha = 0.5
    /// δ values for the bound checks every trial computes (as in configs/paper-wide.json), so a timed trial
    /// does all the work a study trial does.
    public static let deltas = [0.01, 0.05]

    public let dataSeed: UInt64
    public let studySeed: UInt64
    public let problem: Problem
    public var initialization: InitializationSpec { .widthScaled(alpha: Self.alpha) }

    /// - Throws: `ProblemError` / LAPACK errors from building the problem (not expected for this recipe).
    public init(dataSeed: UInt64, studySeed: UInt64) throws {
        self.dataSeed = dataSeed
        self.studySeed = studySeed
        let recipe = DataRecipe.gaussian(samples: Self.samples, inputDimension: Self.inputDimension,
                                         outputDimension: Self.outputDimension, noise: Self.noise)
        problem = try recipe.problem(seed: dataSeed)
    }

    /// The gradient flow at the engine's default accuracy (`IntegrationSettings()`: relative tolerance 1e-10,
    /// excess loss ≤ 1e-12, Θ stopped moving to 1e-10).
    public static var flowSettings: IntegrationSettings { IntegrationSettings(method: .flow) }

    /// The paper's gradient descent: η = 5e-3 on the mean loss (1/N)‖Y − XUVᵀ‖², i.e. step 2η/N = 1e-4 on the
    /// ½-loss, stopped on the loss alone when the mean loss is below 1e-8, i.e. ½-loss − L* ≤ N·1e-8/2 = 5e-7
    /// (L* = 0 here up to rounding: N < n and X has full row rank).
    public static var gradientDescentSettings: IntegrationSettings {
        IntegrationSettings(method: .gd, excessLossTolerance: 1e-8 * Double(samples) / 2,
                            thetaChangeTolerance: 1e300, maxSteps: 1_000_000, maxTime: 1e12,
                            gdStepSize: 2 * 5e-3 / Double(samples))
    }

    /// The explicit U(0) (n×h), V(0) (m×h) of trial (h, index): the very draws the weights and gram engines start
    /// from for that trial (`InitialWeights.make` with the study seed).
    public func initialWeights(width: Int, index: Int) throws -> (u: Matrix, v: Matrix) {
        try InitialWeights.make(initialization, problem: problem, studySeed: studySeed,
                                trial: TrialID(width: width, index: index))
    }

    /// The reduced start (K_r(0), C(0)) the `sampled` engine draws for trial (h, index) (`ReducedInitialState.sample`
    /// with the study seed and this initialization's σ_U, σ_V): the very state a timed sampled trial integrates.
    public func sampledStart(width: Int, index: Int) -> ReducedInitialState {
        let (su, sv) = initialization.gaussianScale!.sigmas(width: width)
        return ReducedInitialState.sample(problem: problem, sigmaU: su, sigmaV: sv, nullSpaceIsZero: false,
                                          studySeed: studySeed, trial: TrialID(width: width, index: index))
    }

    /// A trial runner for `engine` with `settings`.
    public func runner(engine: EngineKind, settings: IntegrationSettings) throws -> TrialRunner {
        try TrialRunner(problem: problem, initialization: initialization, engine: engine, settings: settings,
                        studySeed: studySeed, alpha: Self.alpha, deltas: Self.deltas)
    }
}

/// One engine configuration timed by `gfmc bench`: an engine, an integration method and, for the flow, the
/// embedded pair (Dormand–Prince 5(4), the default, unless the case names another).
public enum BenchEngineCase: String, CaseIterable, Codable, Sendable {
    case weightsFlow = "weights-flow"
    case gramFlow = "gram-flow"
    case sampledFlow = "sampled-flow"
    /// `sampled-flow` with Dormand–Prince 8(5,3) (`"scheme": "dop853"` in a study).
    case sampledFlowDop853 = "sampled-flow-dop853"
    case weightsGD = "weights-gd"
    case gramGD = "gram-gd"
    case sampledGD = "sampled-gd"

    public var engine: EngineKind {
        switch self {
        case .weightsFlow, .weightsGD: return .weights
        case .gramFlow, .gramGD: return .gram
        case .sampledFlow, .sampledFlowDop853, .sampledGD: return .sampled
        }
    }

    public var isGradientDescent: Bool {
        switch self {
        case .weightsGD, .gramGD, .sampledGD: return true
        default: return false
        }
    }

    public var settings: IntegrationSettings {
        if isGradientDescent { return BenchWideNetwork.gradientDescentSettings }
        var settings = BenchWideNetwork.flowSettings
        if self == .sampledFlowDop853 { settings.scheme = .dop853 }
        return settings
    }

    /// The width-independent flow cases, also timed at the extra `--sampled-widths`.
    public var isSampledFlow: Bool { self == .sampledFlow || self == .sampledFlowDop853 }

    /// Whether the cost of a trial grows with h (only those are capped by the per-trial time budget).
    public var costGrowsWithWidth: Bool { engine == .weights }
}

import Foundation
import GFMCLinearAlgebra
import GFMCModel

/// Runs one Monte Carlo trial and returns a fully filled `TrialResult`.
///
/// A trial is a pure function of (problem, initialization, engine, settings, study seed, alpha, deltas,
/// trial identity): rerunning it, alone or in any order with others, gives the same result except
/// `wallSeconds`. Random draws use `RandomStream(studySeed, width, index, purpose)` (see `InitialWeights`
/// and `ReducedInitialState.sample`).
///
/// Errors: invalid input throws (`TrialError`, `InitializationError`, `ProblemError`, each naming the field:
/// `width` < 1, `index` < 0, `alpha` outside (1/4, 1/2] when `deltas` is non-empty, a δ outside (0, 1),
/// `engine` that cannot run the initialization, bad `settings.*`, explicit matrices of the wrong shape).
/// Numerical failure never throws: a LAPACK or integrator error gives a result with `converged == false`
/// and `stopReason == "numerical_error"` (quantities computed before the failure are kept, the rest NaN);
/// an integrator that met a non-finite state reports its own `"non_finite"`.
///
/// Bit-identical results need single-threaded BLAS: a multi-threaded OpenBLAS call splits its reductions by how
/// many of its threads are free, which changes the last bits of spectra with the load. Creating a runner (and
/// `runExplicit`) therefore pins OpenBLAS to one thread for the process; parallelism comes from running trials
/// side by side.
public struct TrialRunner: Sendable {
    /// The problem of a trial at width h (constant, or per width for the factorization recipe).
    public typealias ProblemProvider = @Sendable (_ width: Int) throws -> Problem

    public let problemForWidth: ProblemProvider
    public let initialization: InitializationSpec
    public let engine: EngineKind
    public let settings: IntegrationSettings
    public let studySeed: UInt64
    /// α for Lemma 11 / Theorem 12 (defaults to the initialization's own α, if any).
    public let alpha: Double?
    /// Failure probabilities δ for the bound checks (one `BoundCheck` each, in this order).
    public let deltas: [Double]

    /// - Throws: `TrialError` / `InitializationError` / `ProblemError` for invalid configuration (see type doc).
    public init(problemForWidth: @escaping ProblemProvider, initialization: InitializationSpec, engine: EngineKind,
                settings: IntegrationSettings, studySeed: UInt64, alpha: Double? = nil, deltas: [Double] = []) throws {
        try initialization.validate()
        try engine.checkSupports(initialization)
        try settings.validate()
        let resolvedAlpha = alpha ?? initialization.alpha
        try Self.validateBounds(alpha: resolvedAlpha, deltas: deltas)
        BLASThreads.set(1)
        self.problemForWidth = problemForWidth
        self.initialization = initialization
        self.engine = engine
        self.settings = settings
        self.studySeed = studySeed
        self.alpha = resolvedAlpha
        self.deltas = deltas
    }

    /// A runner on one fixed problem.
    public init(problem: Problem, initialization: InitializationSpec, engine: EngineKind,
                settings: IntegrationSettings, studySeed: UInt64, alpha: Double? = nil, deltas: [Double] = []) throws {
        try self.init(problemForWidth: { _ in problem }, initialization: initialization, engine: engine,
                      settings: settings, studySeed: studySeed, alpha: alpha, deltas: deltas)
    }

    /// A runner on a data recipe: one problem for all widths, or one per width (`factorization`; generated on
    /// each call — cache in the caller if the SVD of X matters).
    public init(recipe: DataRecipe, dataSeed: UInt64, initialization: InitializationSpec, engine: EngineKind,
                settings: IntegrationSettings, studySeed: UInt64, alpha: Double? = nil, deltas: [Double] = []) throws {
        if recipe.dependsOnWidth {
            try self.init(problemForWidth: { h in try recipe.problem(seed: dataSeed, width: h) },
                          initialization: initialization, engine: engine, settings: settings,
                          studySeed: studySeed, alpha: alpha, deltas: deltas)
        } else {
            try self.init(problem: try recipe.problem(seed: dataSeed), initialization: initialization,
                          engine: engine, settings: settings, studySeed: studySeed, alpha: alpha, deltas: deltas)
        }
    }

    static func validateBounds(alpha: Double?, deltas: [Double]) throws {
        for (i, d) in deltas.enumerated() where !(d > 0 && d < 1) {
            throw TrialError.invalid(field: "deltas", reason: "δ[\(i)] = \(d) must lie in (0, 1)")
        }
        if let alpha, !deltas.isEmpty, !PaperBounds.isValidAlpha(alpha) {
            throw TrialError.invalid(field: "alpha", reason: "must lie in (1/4, 1/2] for the Lemma 11 / Theorem 12 bounds, got \(alpha)")
        }
    }

    /// Runs trial `id`.
    public func run(_ id: TrialID) throws -> TrialResult {
        let clock = ContinuousClock()
        let start = clock.now
        guard id.width >= 1 else { throw TrialError.invalid(field: "width", reason: "must be at least 1, got \(id.width)") }
        guard id.index >= 0 else { throw TrialError.invalid(field: "index", reason: "must be ≥ 0, got \(id.index)") }
        let problem = try problemForWidth(id.width)
        let prediction: Double
        do {
            prediction = try LeadingOrderPrediction.distance(constants: try ProblemConstants(problem: problem),
                                                             width: id.width, initialization: initialization)
        } catch { prediction = .nan }
        var result: TrialResult
        switch engine {
        case .sampled:
            let (su, sv) = initialization.gaussianScale!.sigmas(width: id.width)
            guard (su * su).isFinite, (sv * sv).isFinite else {
                throw TrialError.invalid(field: "initialization",
                                         reason: "σ_U = \(su), σ_V = \(sv) at width \(id.width): their squares overflow")
            }
            let isZero: Bool
            if case .invariantSet = initialization { isZero = true } else { isZero = false }
            let state = ReducedInitialState.sample(problem: problem, sigmaU: su, sigmaV: sv, nullSpaceIsZero: isZero,
                                                   studySeed: studySeed, trial: id)
            result = TrialComputation(problem: problem, id: id, engine: engine, settings: settings, alpha: alpha,
                                      deltas: deltas, prediction: prediction).run(start: state, weights: nil).result
        case .weights, .gram:
            let (u0, v0) = try InitialWeights.make(initialization, problem: problem, studySeed: studySeed, trial: id)
            let state = ReducedInitialState(problem: problem, u0: u0, v0: v0)
            result = TrialComputation(problem: problem, id: id, engine: engine, settings: settings, alpha: alpha,
                                      deltas: deltas, prediction: prediction).run(start: state, weights: (u0, v0)).result
        }
        result.wallSeconds = Self.seconds(clock.now - start)
        return result
    }

    /// The result of a trial from explicit weights, with the final end-to-end matrix.
    public struct ExplicitOutcome: Sendable {
        public var result: TrialResult
        /// Θ(∞) = U(∞)V(∞)ᵀ (n×m); for `gram`, Φ1·U1(∞)V(∞)ᵀ + Φ2·U2(0)V(∞)ᵀ. NaN-filled after a numerical failure.
        public var theta: Matrix
        /// Θ̂ = X^†Y (n×m).
        public var thetaHat: Matrix
    }

    /// Runs one trial from explicit U(0) (n×h) and V(0) (m×h) with the `weights` or `gram` engine and the
    /// settings' method (flow or gd). This is `gfmc trial --problem FILE`.
    /// - Throws: `InitializationError` naming `U0`/`V0` for shape or finiteness problems, `TrialError` for
    ///   `engine == .sampled`, an invalid `alpha`/`deltas`, and `ProblemError` for invalid settings.
    public static func runExplicit(problem: Problem, u0: Matrix, v0: Matrix, engine: EngineKind,
                                   settings: IntegrationSettings, id: TrialID? = nil, alpha: Double? = nil,
                                   deltas: [Double] = []) throws -> ExplicitOutcome {
        BLASThreads.set(1)
        let clock = ContinuousClock()
        let start = clock.now
        guard engine != .sampled else {
            throw TrialError.invalid(field: "engine", reason: "explicit weights run with weights or gram, not sampled")
        }
        try settings.validate()
        try validateBounds(alpha: alpha, deltas: deltas)
        let trial = id ?? TrialID(width: u0.cols, index: 0)
        let spec = InitializationSpec.explicit(u0: u0, v0: v0)
        let (u, v) = try InitialWeights.make(spec, problem: problem, studySeed: 0, trial: trial)
        let state = ReducedInitialState(problem: problem, u0: u, v0: v)
        var (result, theta) = TrialComputation(problem: problem, id: trial, engine: engine, settings: settings,
                                               alpha: alpha, deltas: deltas, prediction: .nan)
            .run(start: state, weights: (u, v))
        result.wallSeconds = seconds(clock.now - start)
        return ExplicitOutcome(result: result,
                               theta: theta ?? Matrix(rows: problem.inputDimension, cols: problem.outputDimension, repeating: .nan),
                               thetaHat: problem.thetaHat)
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

import Foundation
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// Runs the trials of one study: the bridge from a `StudyDescription` to the engine's `TrialRunner`.
///
/// The data are built once per study (for the `factorization` recipe, once per width, on first use), and
/// every trial is a pure function of (study, trial identity): `run(id)` gives the same `TrialResult` (except
/// `wallSeconds`) on any machine, in any order, any number of times.
///
/// Concurrency: `StudyExecutor` is `Sendable` and `run(_:)` may be called from several threads at once
/// (the per-width problem cache is guarded by a lock; each call allocates its own integration workspaces).
/// Like `TrialRunner`, creating an executor pins OpenBLAS to one thread (results would otherwise change in
/// the last bits with the load, as `concurrentCallsGiveTheSameResults` showed).
public final class StudyExecutor: Sendable {
    public let study: StudyDescription
    /// The engine actually used (`auto` resolved: `sampled` where exact in distribution, else `gram`).
    public let engine: EngineKind
    /// The engine's settings derived from the study (GD step already converted to the ½-loss).
    public let settings: IntegrationSettings
    public let initialization: InitializationSpec
    private let runner: TrialRunner
    private let problems: ProblemCache

    /// Builds the study's data (failing early on bad data) and the trial runner.
    /// - Parameter engineOverride: run with this engine instead of the study's (for cross-checks).
    /// - Throws: `StudyInputError` naming the key, file and problem for unusable data files
    ///   (`StudyDataCheck`); `StudyError` naming the study key; the engine's `ProblemError`,
    ///   `InitializationError`, `TrialError` naming the field.
    /// The memory this executor may use and the study's estimate: a trial that does not fit fails (`run`).
    public let memoryLimit: MemoryLimit
    public let resources: ResourceEstimate

    public init(study: StudyDescription, engineOverride: EngineChoice? = nil, memoryLimit: MemoryLimit? = nil) throws {
        self.study = study
        let spec = Self.initializationSpec(study.initialization)
        initialization = spec
        let choice = engineOverride ?? study.engine
        do {
            engine = try EngineKind.resolve(choice.rawValue, for: spec)
        } catch {
            throw StudyError.invalidValue(path: "engine", value: "\"\(choice.rawValue)\"", allowed: "\(error)")
        }

        let limit = try memoryLimit ?? MemoryLimit.current()
        self.memoryLimit = limit
        // Synthetic data are checked before they are generated; files once they are loaded.
        if let shape = ResourceEstimate.syntheticShape(study.data) {
            let estimate = ResourceEstimate(study: study, shape: shape, engine: engine)
            try estimate.checkData(limit: limit)
        }
        let cache = try ProblemCache(study: study)
        problems = cache
        let shape = ResourceEstimate.syntheticShape(study.data) ?? cache.loadedShape()
        resources = ResourceEstimate(study: study, shape: shape, engine: engine)
        try resources.checkData(limit: limit, dataKey: study.data.recipe == .files ? "data.x_file" : nil)
        let samples = try cache.samples()
        var settings = IntegrationSettings(
            method: study.method == .gd ? .gd : .flow,
            relativeTolerance: study.tolerances.relative,
            absoluteTolerance: study.tolerances.absolute,
            excessLossTolerance: study.tolerances.excessLoss,
            thetaChangeTolerance: study.tolerances.thetaChange,
            maxSteps: study.tolerances.maxSteps,
            maxTime: study.tolerances.maxTime,
            scheme: study.scheme)
        if let step = study.effectiveGDStep(samples: samples) { settings.gdStepSize = step }
        self.settings = settings
        runner = try TrialRunner(problemForWidth: { width in try cache.problem(width: width) },
                                 initialization: spec, engine: engine, settings: settings, studySeed: study.seed,
                                 alpha: nil, deltas: study.deltas)
    }

    /// An executor for a study received as text (a worker gets the coordinator's canonical JSON), checking
    /// that the text resolves to the expected identity hash.
    /// - Throws: `StudyError.invalidValue(path: "study_hash", …)` when the hashes differ; the errors of
    ///   `StudyDescription.parse` and `init(study:)`.
    public convenience init(studyJSON: String, expectedHash: String? = nil) throws {
        let study = try StudyDescription.parse(studyJSON)
        if let expectedHash, study.identityHash != expectedHash {
            throw StudyError.invalidValue(path: "study_hash", value: expectedHash,
                                          allowed: "the hash of the study text received, \(study.identityHash)")
        }
        try self.init(study: study)
    }

    /// Runs one trial of the study.
    /// - Throws: `StudyError.invalidValue` naming `width` when the width is not one of the study's, or `index`
    ///   when it is negative or beyond the study's trials per width (or the precision cap); `StudyInputError`
    ///   (kind `.resources`, key `widths`) with the estimate when the trial would not fit in `memoryLimit`
    ///   (checked before anything is allocated); engine errors for invalid input. Numerical failures do not throw: they give `converged == false`.
    public func run(_ id: TrialID) throws -> TrialResult {
        guard study.widths.contains(id.width) else {
            throw StudyError.invalidValue(path: "width", value: "\(id.width)",
                                          allowed: "the study's widths \(study.widths.map(String.init).joined(separator: ", "))")
        }
        let limit = study.trials ?? study.precision?.maxTrialsPerWidth ?? 0
        guard id.index >= 0, id.index < limit else {
            throw StudyError.invalidValue(path: "index", value: "\(id.index)", allowed: "0…\(limit - 1)")
        }
        try resources.checkTrial(width: id.width, limit: memoryLimit)
        return try runner.run(id)
    }

    /// The problem (data and its row-space split) at `width`; the same object for every width unless the
    /// recipe is `factorization`.
    public func problem(width: Int) throws -> Problem { try problems.problem(width: width) }

    /// The engine's initialization for a study's `init` section.
    public static func initializationSpec(_ i: StudyInitialization) -> InitializationSpec {
        let scale: GaussianScale = i.alpha.map { .widthScaled(alpha: $0) }
            ?? .fixed(sigmaU: i.sigmaU ?? 0, sigmaV: i.sigmaV ?? 0)
        switch i.kind {
        case .widthScaled: return .widthScaled(alpha: i.alpha ?? 0.5)
        case .gaussian: return .gaussian(sigmaU: i.sigmaU ?? 0, sigmaV: i.sigmaV ?? 0)
        case .invariantSet: return .invariantSet(scale)
        case .balanced: return .balanced(scale)
        }
    }

    /// The engine's data recipe for a synthetic `data` section (nil for `files`).
    public static func dataRecipe(_ d: StudyData) -> DataRecipe? {
        switch d.recipe {
        case .gaussian:
            return .gaussian(samples: d.samples ?? 0, inputDimension: d.inputDim ?? 0, outputDimension: d.outputDim ?? 1,
                             noise: d.noise ?? 0.01, xVariance: d.xVariance)
        case .whitened:
            return .whitened(samples: d.samples ?? 0, inputDimension: d.inputDim ?? 0, outputDimension: d.outputDim ?? 1,
                             noise: d.noise ?? 0.01)
        case .factorization:
            return .factorization(inputDimension: d.inputDim ?? 0, outputDimension: d.outputDim ?? 1,
                                  yVariance: d.yVariance ?? 0.1)
        case .files:
            return nil
        }
    }
}

/// The study's `Problem`s: one, built eagerly, for width-independent data; one per width, built on first use
/// and kept, for `factorization`.
///
/// `@unchecked Sendable`: `perWidth` is read and written only under `lock`; the other fields are immutable.
private final class ProblemCache: @unchecked Sendable {
    private let study: StudyDescription
    private let fixed: Problem?
    private let lock = NSLock()
    private var perWidth: [Int: Problem] = [:]

    init(study: StudyDescription) throws {
        self.study = study
        if study.data.dependsOnWidth {
            fixed = nil
        } else if let recipe = StudyExecutor.dataRecipe(study.data) {
            fixed = try recipe.problem(seed: study.data.dataSeed ?? study.seed, rankTolerance: study.rankTolerance)
        } else {
            fixed = try Self.loadFiles(study.data, rankTolerance: study.rankTolerance)
        }
    }

    /// The shape of the loaded data (`files`); zeros when the data are built per width.
    func loadedShape() -> ResourceEstimate.DataShape {
        guard let fixed else { return ResourceEstimate.DataShape(samples: 0, inputDimension: 0, outputDimension: 0) }
        return ResourceEstimate.DataShape(samples: fixed.samples, inputDimension: fixed.inputDimension,
                                          outputDimension: fixed.outputDimension)
    }

    /// N, the number of samples (rows of X), which converts the paper's mean-loss GD step.
    func samples() throws -> Int {
        if let fixed { return fixed.samples }
        return study.data.inputDim ?? 0   // factorization: X = I_n/sqrt(m·h) has n rows at every width
    }

    func problem(width: Int) throws -> Problem {
        if let fixed { return fixed }
        if let cached = lock.withLock({ perWidth[width] }) { return cached }
        let recipe = StudyExecutor.dataRecipe(study.data)!
        let built = try recipe.problem(seed: study.data.dataSeed ?? study.seed, width: width,
                                       rankTolerance: study.rankTolerance)
        return lock.withLock {
            if let cached = perWidth[width] { return cached }
            perWidth[width] = built
            return built
        }
    }

    private static func loadFiles(_ d: StudyData, rankTolerance: Double?) throws -> Problem {
        try StudyDataCheck.loadProblem(d, rankTolerance: rankTolerance)
    }
}

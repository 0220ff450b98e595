import Foundation
import GFMCEngine
import GFMCLinearAlgebra

/// Runs the trials of one study: the bridge from a `StudyDescription` to the engine's `TrialRunner`.
///
/// The data are built once per study (for the `factorization` recipe, once per width, on first use), and
/// every trial is a pure function of (study, trial identity): `run(id)` gives the same `TrialResult` (except
/// `wallSeconds`) on any machine, in any order, any number of times.
///
/// Concurrency: `StudyExecutor` is `Sendable` and `run(_:)` may be called from several threads at once
/// (the per-width problem cache is guarded by a lock; each call allocates its own integration workspaces).
/// Creating an executor pins OpenBLAS to one thread for the whole process: a multi-threaded BLAS call
/// splits its reductions differently depending on how many of its threads are free, so results would change
/// in the last bits with the load (seen in `concurrentCallsGiveTheSameResults`). Parallelism comes from
/// running trials side by side, one engine thread per worker slot.
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
    /// - Throws: `StudyError` naming the study key (`data.x_file`, …), or the engine's `ProblemError`,
    ///   `DataLoadError`, `InitializationError`, `TrialError` naming the field.
    public init(study: StudyDescription, engineOverride: EngineChoice? = nil) throws {
        BLASThreads.set(1)
        self.study = study
        let spec = Self.initializationSpec(study.initialization)
        initialization = spec
        let choice = engineOverride ?? study.engine
        do {
            engine = try EngineKind.resolve(choice.rawValue, for: spec)
        } catch {
            throw StudyError.invalidValue(path: "engine", value: "\"\(choice.rawValue)\"", allowed: "\(error)")
        }

        let cache = try ProblemCache(study: study)
        problems = cache
        let samples = try cache.samples()
        var settings = IntegrationSettings(
            method: study.method == .gd ? .gd : .flow,
            relativeTolerance: study.tolerances.relative,
            absoluteTolerance: study.tolerances.absolute,
            excessLossTolerance: study.tolerances.excessLoss,
            thetaChangeTolerance: study.tolerances.thetaChange,
            maxSteps: study.tolerances.maxSteps,
            maxTime: study.tolerances.maxTime)
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
    ///   when it is negative or beyond the study's trials per width (or the precision cap); engine errors for
    ///   invalid input. Numerical failures do not throw: they give `converged == false`.
    public func run(_ id: TrialID) throws -> TrialResult {
        guard study.widths.contains(id.width) else {
            throw StudyError.invalidValue(path: "width", value: "\(id.width)",
                                          allowed: "the study's widths \(study.widths.map(String.init).joined(separator: ", "))")
        }
        let limit = study.trials ?? study.precision?.maxTrialsPerWidth ?? 0
        guard id.index >= 0, id.index < limit else {
            throw StudyError.invalidValue(path: "index", value: "\(id.index)", allowed: "0…\(limit - 1)")
        }
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
        func load(_ path: String?, key: String, digest: String?) throws -> Matrix {
            guard let path else { throw StudyError.missingKey(path: "data.\(key)", hint: "") }
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw StudyError.unreadable(file: path, reason: "data.\(key) cannot be read")
            }
            if let digest, SHA256.hexDigest(bytes) != digest {
                throw StudyError.invalidValue(path: "data.\(key)", value: "\"\(path)\"",
                                              allowed: "a file whose SHA-256 is \(digest) (the file changed since the study was resolved)")
            }
            return try MatrixFileLoader.load(path: path)
        }
        let x = try load(d.xFile, key: "x_file", digest: d.xSHA256)
        let y = try load(d.yFile, key: "y_file", digest: d.ySHA256)
        return try Problem(x: x, y: y, rankTolerance: rankTolerance)
    }
}

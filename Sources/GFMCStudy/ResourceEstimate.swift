import Foundation
import GFMCEngine

/// The memory a study needs, estimated from its sizes alone (pure: nothing is allocated), so a study too
/// large for the machine is refused before it starts, naming the key that makes it large, and a worker can
/// refuse a single trial it cannot afford instead of aborting on an allocation.
///
/// All sizes are bytes as `Double` (products of large keys such as `trials: 1e12` or a width of 10¹⁵ never
/// overflow). The estimates are upper estimates of the dominant allocations, counted in 8-byte doubles, with
/// N samples, input dimension n, output dimension m, k = min(N, n) and width h:
///
/// * coordinator state: `coordinatorBytesPerTrial` (2 B) per trial of the study for the trial bitsets
///   (queued, known, completed, the run's trial list: 1 bit each per trial), plus `reportBytesPerTrial`
///   (2 KiB) per trial the report holds decoded at once: one width's trials (the report streams the store
///   width by width), or for a `precision` study every trial, since each round is planned from all stored
///   results. A `precision` study counts the cap `max_trials_per_width` at every width;
/// * the data on a worker while one problem is built: X, Y, the SVD of X, the n×n eigendecomposition that
///   splits the row space: 8·(3Nn + 2Nm + 3nk + 6n² + nm); a built problem keeps 8·(2Nn + Nm + n² + 2nm).
///   The `factorization` recipe keeps one problem per width;
/// * one trial, on top of the data: `weights` 8·h·(7n + (7 + 3s)m) with s the stage count of the scheme
///   (7 for dopri5, 13 for dop853): U, V, their copies, the increment and the factored Runge–Kutta stages;
///   `gram` 8·h·(5n + 4m): the explicit U(0), V(0) and their projections; `sampled` no h-dependent part
///   (except h < k + m, where the reduced factor is drawn explicitly); plus 8·(4(n+m)(k+m) + 4nm + 4Nm) for
///   the reduced states, spectra and residuals of every engine.
public struct ResourceEstimate: Sendable, Equatable {
    /// Bytes of coordinator memory counted per trial of the study for its trial sets (bitsets).
    public static let coordinatorBytesPerTrial = 2.0
    /// Bytes counted per decoded stored result (`TrialResult` with its bounds, and its share of the
    /// per-width statistics columns), an upper estimate.
    public static let reportBytesPerTrial = 2048.0

    /// The data's shape: N, n, m.
    public struct DataShape: Sendable, Equatable {
        public var samples: Int
        public var inputDimension: Int
        public var outputDimension: Int
        public init(samples: Int, inputDimension: Int, outputDimension: Int) {
            self.samples = samples
            self.inputDimension = inputDimension
            self.outputDimension = outputDimension
        }
    }

    public var shape: DataShape
    public var engine: EngineKind
    /// Trials the coordinator tracks (fixed count, or the precision cap at every width).
    public var trials: Double
    /// Trials the report (or a precision round's plan) holds decoded at once.
    public var reportTrials: Double
    /// Coordinator memory for the study's trials: the bitsets plus the decoded results of `reportTrials`.
    public var coordinatorBytes: Double
    /// Worker memory for the data (all problems the worker keeps, one being built).
    public var dataBytes: Double
    /// The largest width and the memory of one trial there (on top of `dataBytes`).
    public var largestWidth: Int
    public var largestTrialBytes: Double
    /// Stage buffers of the study's scheme (`stageSlots(_:)`).
    public var stageSlots: Double
    /// The key that sets the trial count: `trials`, or `precision.max_trials_per_width`.
    public var trialsKey: String

    /// The estimate for `study` on data of `shape` (from the recipe, or from the loaded files), with the
    /// engine the study resolves to.
    public init(study: StudyDescription, shape: DataShape, engine: EngineKind) {
        self.shape = shape
        self.engine = engine
        let perWidth = Double(study.trials ?? study.precision?.maxTrialsPerWidth ?? 0)
        trials = perWidth * Double(study.widths.count)
        reportTrials = study.trials == nil ? trials : perWidth
        coordinatorBytes = trials * Self.coordinatorBytesPerTrial + reportTrials * Self.reportBytesPerTrial
        trialsKey = study.trials == nil ? "precision.max_trials_per_width" : "trials"
        stageSlots = Self.stageSlots(study.scheme)
        let problems = study.data.dependsOnWidth ? Double(study.widths.count) : 1
        dataBytes = Self.problemPeakBytes(shape) + (problems - 1) * Self.problemResidentBytes(shape)
        largestWidth = study.widths.max() ?? 0
        largestTrialBytes = Self.trialBytes(engine: engine, shape: shape, width: largestWidth, stageSlots: stageSlots)
    }

    /// The shape of a synthetic recipe's data; nil for `files` (read it from the loaded problem).
    public static func syntheticShape(_ data: StudyData) -> DataShape? {
        let m = data.outputDim ?? 1
        switch data.recipe {
        case .gaussian, .whitened:
            return DataShape(samples: data.samples ?? 0, inputDimension: data.inputDim ?? 0, outputDimension: m)
        case .factorization:
            return DataShape(samples: data.inputDim ?? 0, inputDimension: data.inputDim ?? 0, outputDimension: m)
        case .files:
            return nil
        }
    }

    /// The engine a study runs with (`auto` resolved as `StudyExecutor` resolves it); nil when it cannot run.
    public static func engine(for study: StudyDescription) -> EngineKind? {
        try? EngineKind.resolve(study.engine.rawValue, for: StudyExecutor.initializationSpec(study.initialization))
    }

    /// Stage buffers of the flow integrator for a scheme (gradient descent allocates the same).
    public static func stageSlots(_ scheme: IntegrationScheme) -> Double {
        switch scheme {
        case .dopri5: return 7
        case .dop853: return 13
        }
    }

    /// Peak memory while one problem is built (see the type's contract).
    public static func problemPeakBytes(_ s: DataShape) -> Double {
        let (bigN, n, m) = (Double(s.samples), Double(s.inputDimension), Double(s.outputDimension))
        let k = min(bigN, n)
        return 8 * (3 * bigN * n + 2 * bigN * m + 3 * n * k + 6 * n * n + n * m)
    }

    /// Memory a built problem keeps.
    public static func problemResidentBytes(_ s: DataShape) -> Double {
        let (bigN, n, m) = (Double(s.samples), Double(s.inputDimension), Double(s.outputDimension))
        return 8 * (2 * bigN * n + bigN * m + n * n + 2 * n * m)
    }

    /// Memory of one trial at `width` on top of the data (see the type's contract).
    public static func trialBytes(engine: EngineKind, shape s: DataShape, width: Int, stageSlots: Double) -> Double {
        let (bigN, n, m, h) = (Double(s.samples), Double(s.inputDimension), Double(s.outputDimension), Double(width))
        let k = min(bigN, n)
        let reduced = 8 * (4 * (n + m) * (k + m) + 4 * n * m + 4 * bigN * m)
        switch engine {
        case .weights: return reduced + 8 * h * (7 * n + (7 + 3 * stageSlots) * m)
        case .gram: return reduced + 8 * h * (5 * n + 4 * m)
        case .sampled: return reduced + (h < k + m ? 8 * h * 2 * (n + m) : 0)
        }
    }

    /// Refuses a study the machine cannot hold: the coordinator's state, or the data plus the largest trial.
    /// - Parameter dataKey: the key to blame for the data's size (`data.x_file` for files; by default the
    ///   synthetic key that dominates, `data.input_dim` or `data.samples`).
    /// - Throws: `StudyInputError` of kind `.resources` naming the key, the estimate and the limit.
    public func check(limit: MemoryLimit, dataKey: String? = nil) throws {
        try checkCoordinator(limit: limit)
        try checkData(limit: limit, dataKey: dataKey)
        try checkTrial(width: largestWidth, trialBytes: largestTrialBytes, limit: limit)
    }

    /// Refuses coordinator state beyond the limit (key `trials` or `precision.max_trials_per_width`).
    public func checkCoordinator(limit: MemoryLimit) throws {
        if coordinatorBytes > limit.bytes {
            throw StudyInputError(kind: .resources, key: trialsKey,
                                  problem: "\(Self.count(trials)) trials need about \(Self.format(coordinatorBytes)) of "
                                      + "coordinator memory (\(Self.format(Self.coordinatorBytesPerTrial)) per trial, plus "
                                      + "\(Self.format(Self.reportBytesPerTrial)) per trial for the \(Self.count(reportTrials)) "
                                      + "results the report holds at once); \(limit.description)")
        }
    }

    /// Refuses data beyond the limit (see `check` for the key).
    public func checkData(limit: MemoryLimit, dataKey: String? = nil) throws {
        if dataBytes > limit.bytes {
            throw StudyInputError(kind: .resources, key: dataKey ?? dominantDataKey,
                                  problem: "the data (N = \(shape.samples), n = \(shape.inputDimension), m = "
                                      + "\(shape.outputDimension)) need about \(Self.format(dataBytes)) of memory on each "
                                      + "worker; \(limit.description)")
        }
    }

    /// Refuses one trial at `width` that the machine cannot hold on top of the data (a worker's check).
    public func checkTrial(width: Int, limit: MemoryLimit) throws {
        let bytes = Self.trialBytes(engine: engine, shape: shape, width: width, stageSlots: stageSlots)
        try checkTrial(width: width, trialBytes: bytes, limit: limit)
    }

    private func checkTrial(width: Int, trialBytes: Double, limit: MemoryLimit) throws {
        guard dataBytes + trialBytes > limit.bytes else { return }
        throw StudyInputError(kind: .resources, key: "widths",
                              problem: "a trial at width \(width) with the \(engine.rawValue) engine (n = "
                                  + "\(shape.inputDimension), m = \(shape.outputDimension)) needs about "
                                  + "\(Self.format(trialBytes)) of memory on top of \(Self.format(dataBytes)) of data; "
                                  + "\(limit.description)")
    }

    private var dominantDataKey: String {
        let (bigN, n) = (Double(shape.samples), Double(shape.inputDimension))
        return 6 * n * n >= 3 * bigN * n ? "data.input_dim" : "data.samples"
    }

    /// `1.5 GiB`-style text (powers of 1024 up to EiB; larger values stay in EiB).
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, index = 0
        while value >= 1024 && index < units.count - 1 { value /= 1024; index += 1 }
        if index == 0 { return "\(Int(value)) B" }
        let rounded = (value * 10).rounded() / 10
        return rounded < 1e6 ? "\(rounded) \(units[index])" : "\(value) \(units[index])"
    }

    /// A trial count as an integer while it is one (up to 10¹⁵), else in exponent form.
    static func count(_ value: Double) -> String {
        value < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

/// How much memory this machine offers a gfmc process.
public struct MemoryLimit: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Double
    /// Where the number comes from (`GFMC_MEMORY_LIMIT`, the cgroup limit, physical memory).
    public var source: String

    public init(bytes: Double, source: String) {
        self.bytes = bytes
        self.source = source
    }

    public var description: String {
        "this machine allows \(ResourceEstimate.format(bytes)) (\(source); set GFMC_MEMORY_LIMIT to override)"
    }
}

extension MemoryLimit {
    /// The environment variable that sets the limit: bytes, or a number with a suffix K, M, G, T (powers of
    /// 1024), e.g. `GFMC_MEMORY_LIMIT=8G`.
    public static let environmentKey = "GFMC_MEMORY_LIMIT"

    /// This process's limit: `GFMC_MEMORY_LIMIT` when set, else the smaller of physical memory and the
    /// cgroup v2 limit (`/sys/fs/cgroup/memory.max`) when there is one.
    /// - Throws: `StudyInputError` (kind `.resources`, key `GFMC_MEMORY_LIMIT`) for a value that is not a size.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryLimit {
        if let text = environment[environmentKey] {
            guard let bytes = parseSize(text) else {
                throw StudyInputError(kind: .resources, key: environmentKey,
                                      problem: "\"\(text)\" is not a size (bytes, or a number with K, M, G or T, e.g. 8G)")
            }
            return MemoryLimit(bytes: bytes, source: environmentKey)
        }
        var limit = MemoryLimit(bytes: Double(ProcessInfo.processInfo.physicalMemory), source: "physical memory")
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let cgroup = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), cgroup < limit.bytes {
            limit = MemoryLimit(bytes: cgroup, source: "cgroup memory.max")
        }
        return limit
    }

    /// `123`, `1.5G`, `512M`, `2T`, `64K` (powers of 1024; an optional trailing `B` or `iB`); nil otherwise
    /// or when not positive and finite.
    public static func parseSize(_ text: String) -> Double? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        let factors: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var factor = 1.0
        if let last = t.last, let f = factors[last] { factor = f; t.removeLast() }
        guard let value = Double(t), value.isFinite, value > 0 else { return nil }
        return value * factor
    }
}

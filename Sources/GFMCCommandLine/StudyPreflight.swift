import GFMCApplication
import GFMCStudy

extension StudyArgument {
    /// Loads the study like `load(_:context:)`, then checks its input before anything is written or started:
    /// the memory it needs (`ResourceEstimate` against `MemoryLimit.current`: the coordinator's state for every
    /// trial, the data, the largest trial) and its data files (`StudyDataCheck`: readable, unchanged digests,
    /// well-formed, X and Y forming a problem). `gfmc validate`, `gfmc run` and `gfmc coordinator` call this
    /// first, so bad input never reaches a run directory or a worker. Synthetic data are sized before anything
    /// is generated; data files are loaded once (their shape sizes the trials).
    /// - Throws: `CommandLineError.dataError` (exit status 65) whose message names the study source, the key,
    ///   the file and the problem; the errors of `load(_:context:)` for an invalid study file.
    public static func loadChecked(_ path: String?, context: CommandContext) throws -> StudyDescription {
        try loadCheckedWithEstimate(path, context: context).study
    }

    /// `loadChecked`, also returning the memory estimate it checked (nil when the engine cannot run the
    /// study's start, which the executor refuses with its own message) and the limit it checked against.
    public static func loadCheckedWithEstimate(_ path: String?, context: CommandContext) throws
        -> (study: StudyDescription, estimate: ResourceEstimate?, limit: MemoryLimit) {
        let source = path ?? "embedded quick study"
        do {
            let study = try load(path, context: context)
            let limit = try MemoryLimit.current(environment: context.environment)
            // An engine that cannot run the start is refused by the executor with its own message.
            let engine = ResourceEstimate.engine(for: study)
            let empty = ResourceEstimate.DataShape(samples: 0, inputDimension: 0, outputDimension: 0)
            var estimate: ResourceEstimate?
            if let engine {
                estimate = ResourceEstimate(study: study, shape: ResourceEstimate.syntheticShape(study.data) ?? empty,
                                            engine: engine)
                try estimate?.check(limit: limit)
            }
            if let loaded = try StudyDataCheck.check(study), let engine {
                estimate = ResourceEstimate(study: study, shape: loaded, engine: engine)
                try estimate?.check(limit: limit, dataKey: "data.x_file")
            }
            return (study, estimate, limit)
        } catch let error as StudyInputError {
            throw CommandLineError.dataError("\(source): \(error)")
        }
    }
}

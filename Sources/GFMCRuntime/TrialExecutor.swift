import GFMCCoordination
import GFMCModel

/// How a worker computes trials, independent of how the engine is configured. The command line
/// supplies the real one (study JSON → engine); tests use deterministic fakes.
public protocol TrialExecutor: Sendable {
    /// Called once per study (each `welcome` with a new study hash) on a thread of its own, so it may take
    /// long: the worker keeps heartbeating meanwhile, and its tasks wait until it returns.
    /// Parse the study and precompute what every trial shares. A thrown error makes the worker hand its
    /// tasks back with `goodbye` and stop (`WorkerStudyError`), naming the error.
    func prepare(_ study: StudyWelcome) throws -> any PreparedStudy
}

/// A study ready to compute trials; called concurrently from all engine threads.
public protocol PreparedStudy: Sendable {
    /// Computes one trial. Must be a pure function of (study, trial): same result on every
    /// machine, thread and order (only `wallSeconds` may differ). Thrown errors fail the task.
    func run(_ trial: TrialID) throws -> TrialResult
}

/// A `TrialExecutor` made from a closure: `prepare` returns the per-trial function.
public struct ClosureTrialExecutor: TrialExecutor {
    public typealias RunTrial = @Sendable (TrialID) throws -> TrialResult
    private let makeRunner: @Sendable (StudyWelcome) throws -> RunTrial

    public init(_ prepare: @escaping @Sendable (StudyWelcome) throws -> RunTrial) {
        makeRunner = prepare
    }

    public func prepare(_ study: StudyWelcome) throws -> any PreparedStudy {
        ClosurePreparedStudy(runTrial: try makeRunner(study))
    }

    private struct ClosurePreparedStudy: PreparedStudy {
        let runTrial: RunTrial
        func run(_ trial: TrialID) throws -> TrialResult { try runTrial(trial) }
    }
}

import GFMCCoordination
import GFMCEngine
import GFMCModel
import GFMCRuntime
import GFMCStudy

/// The worker's real `TrialExecutor`: the study text the coordinator sends (its canonical JSON) becomes a
/// `StudyExecutor` (data built once per study; every trial a pure function of (study, width, index)).
/// A study whose text does not hash to the announced identity, or whose data cannot be built on this machine
/// (a missing data file, say), fails `prepare` with the error naming the key or file.
public struct StudyTrialExecutor: TrialExecutor {
    public init() {}

    public func prepare(_ welcome: StudyWelcome) throws -> any PreparedStudy {
        Prepared(executor: try StudyExecutor(studyJSON: welcome.studyJSON, expectedHash: welcome.studyHash))
    }

    struct Prepared: PreparedStudy {
        let executor: StudyExecutor
        func run(_ trial: TrialID) throws -> TrialResult { try executor.run(trial) }
    }
}

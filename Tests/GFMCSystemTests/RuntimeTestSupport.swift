import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCEngine
import GFMCModel
import GFMCRuntime

extension LockedValue {
    /// Polls until the optional value is set (bounded).
    func await<Wrapped>(seconds: Double) -> Wrapped? where Value == Wrapped? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value { return value }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return value
    }
}

/// Collects log lines from any thread.
final class RuntimeLogSink: Sendable {
    private let lines = LockedValue<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.value }
}

/// The deterministic stand-in for the engine: every field a function of the trial identity.
func runtimeFakeResult(_ id: TrialID) -> TrialResult {
    var r = TrialResult(id: id, engine: "sampled", method: "flow")
    r.converged = id.index % 7 != 3
    r.stopReason = r.converged ? .converged : .maxSteps
    r.steps = id.width * 1000 + id.index
    r.distanceFrobenius = 1.0 / Double(id.width) + Double(id.index) * 1e-6
    r.distanceOperator = r.distanceFrobenius * 0.75
    r.measuredRate = .nan  // NaN must survive the wire and the store
    return r
}

func runtimeFakeExecutor(secondsPerTrial: Double = 0, expectedHash: String? = nil) -> ClosureTrialExecutor {
    ClosureTrialExecutor { welcome in
        if let expectedHash, welcome.studyHash != expectedHash {
            throw RuntimeFakeExecutorError(message: "unexpected study \(welcome.studyHash)")
        }
        return { trial in
            if secondsPerTrial > 0 { Thread.sleep(forTimeInterval: secondsPerTrial) }
            return runtimeFakeResult(trial)
        }
    }
}

struct RuntimeFakeExecutorError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

let runtimeStudy = StudyIdentity(hash: "runtime-test-study", json: #"{"name": "runtime test"}"#)

func runtimeTrials(widths: [Int], perWidth: Int) -> [TrialID] {
    widths.flatMap { w in (0..<perWidth).map { TrialID(width: w, index: $0) } }
}

/// A fresh temporary directory for one test's store and status file.
func runtimeTemporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "gfmc-runtime-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Fast timeouts so failure scenarios play out in well under a second each.
func runtimeFastCoordinatorSettings() -> CoordinatorSettings {
    var settings = CoordinatorSettings()
    settings.heartbeatInterval = 0.2
    settings.workerSilenceTimeout = 3
    settings.targetTaskSeconds = 0.1
    return settings
}

func runtimeFastWorkerOptions(endpoint: String, slots: Int, executor: any TrialExecutor) -> WorkerOptions {
    var options = WorkerOptions(endpoint: endpoint, slots: slots, executor: executor)
    options.heartbeatInterval = 0.2
    options.coordinatorSilenceTimeout = 3
    options.giveUpAfterSeconds = 20
    return options
}

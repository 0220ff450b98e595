import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCModel
import GFMCRuntime
import GFMCStore
import Testing

/// Quarantine is stored and survives a restart: the quarantined trial stays out of the next run of the
/// same store (counted, never sent), and `retryQuarantined` puts it back. Real runtimes over loopback.
@Suite("Quarantine across coordinator restarts", .serialized)
struct QuarantineRestartTests {
    /// Runs one coordinator with one worker to the end; returns the summary and how often the worker was
    /// asked for `poison`.
    func serve(store: String, trials: [TrialID], poison: TrialID, failing: Bool,
               retry: Bool) throws -> (CoordinatorRunSummary, Int) {
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: store, study: runtimeStudy, trials: trials)
        var settings = runtimeFastCoordinatorSettings()
        settings.quarantinePeers = 1  // one in-process worker host, as in `gfmc run`
        options.settings = settings
        options.farewellSeconds = 0.3
        options.retryQuarantined = retry
        let endpoint = LockedValue<String?>(nil)
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let coordinator = BackgroundThread("coordinator") { try CoordinatorRuntime.run(fixed) }
        let address = try #require(endpoint.await(seconds: 10))
        let asked = LockedValue(0)
        let executor = ClosureTrialExecutor { _ in
            { trial in
                if trial == poison {
                    asked.withLock { $0 += 1 }
                    if failing { throw RuntimeFakeExecutorError(message: "poison \(trial)") }
                }
                return runtimeFakeResult(trial)
            }
        }
        let worker = BackgroundThread("worker") {
            try WorkerRuntime.run(runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: executor))
        }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        _ = worker.wait(seconds: 10)
        return (summary, asked.withLock { $0 })
    }

    @Test("a quarantined trial stays out after a restart; --retry-quarantined runs it again")
    func quarantineSurvivesRestart() throws {
        let dir = try runtimeTemporaryDirectory("quarantine")
        let store = dir + "/study.sqlite"
        let trials = runtimeTrials(widths: [3], perWidth: 20)
        let poison = TrialID(width: 3, index: 7)

        let (first, askedFirst) = try serve(store: store, trials: trials, poison: poison, failing: true, retry: false)
        #expect(first.ending == .complete)
        #expect(first.quarantined.map(\.trial) == [poison])
        #expect(askedFirst == CoordinatorSettings().maxAttempts)
        let stored = try StudyStore(path: store, readOnly: true)
        #expect(try stored.quarantinedTrialIDs() == [poison])
        stored.close()

        let (second, askedSecond) = try serve(store: store, trials: trials, poison: poison, failing: true, retry: false)
        #expect(second.ending == .complete)
        #expect(second.quarantinedEarlier == [poison])
        #expect(second.quarantined.isEmpty)
        #expect(second.status.quarantined == 1 && second.status.done == trials.count - 1)
        #expect(askedSecond == 0, "the quarantined trial was handed out again")

        let (third, askedThird) = try serve(store: store, trials: trials, poison: poison, failing: false, retry: true)
        #expect(third.ending == .complete)
        #expect(third.quarantinedEarlier.isEmpty && third.quarantined.isEmpty)
        #expect(askedThird == 1)
        let final = try StudyStore(path: store, readOnly: true)
        defer { final.close() }
        #expect(try final.allResults().map(\.id) == trials)
        #expect(try final.quarantinedTrialIDs().isEmpty)
    }
}

import GFMCCoordination
import GFMCModel
import Testing

/// A core for a 10^8-trial study: built from bitsets in well under a second, it hands out tasks in
/// (width, index) order sized from measured trial times, skips stored and quarantined trials, and counts
/// every trial of the study.
@Suite("Coordinator core with 10^8 trials")
struct LargeStudyTests {
    @Test("20 widths × 5·10^6: the first tasks are the first trials, sized to about targetTaskSeconds")
    func hundredMillionTrials() throws {
        let widths = Array(stride(from: 500, through: 10_000, by: 500))
        var pending = TrialIndexSet(widths: widths, indices: 0..<5_000_000)
        // Stored by an earlier run: the first 1000 trials of the first width.
        pending.subtract(TrialIndexSet(widths: [500], indices: 0..<1000))
        let held: TrialIndexSet = [TrialID(width: 500, index: 1000)]
        var h = Harness(core: try CoordinatorCore(study: testStudy, pending: pending, alreadyDone: 1000,
                                                  quarantined: held, epoch: 1, now: 0))
        let status = h.core.status(now: 0)
        #expect(status.total == 100_000_000 && status.done == 1000 && status.quarantined == 1)
        #expect(status.queued == 100_000_000 - 1001)

        h.join("a", credits: 1)
        let first = try #require(h.held[WorkerID("a")]?.first)
        // Unmeasured width: `initialTrialsPerTask` (2) trials, the first ones not stored or quarantined.
        #expect(first.trials == [TrialID(width: 500, index: 1001), TrialID(width: 500, index: 1002)])
        // 2 ms a trial → tasks of about 1 s / 2 ms = 500 trials, continuing in order.
        h.finishOne("a", secondsPerTrial: 0.002)
        let second = try #require(h.held[WorkerID("a")]?.first)
        #expect(second.trials.count == 500)
        #expect(second.trials.first == TrialID(width: 500, index: 1003))
        #expect(second.trials.last == TrialID(width: 500, index: 1502))
        #expect(h.core.completed == [TrialID(width: 500, index: 1001), TrialID(width: 500, index: 1002)])
    }
}

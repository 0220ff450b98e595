import Foundation
import GFMCApplication
import GFMCCommandLine
import Testing

extension SystemTests {
    @Suite("SIGTERM: workers and the coordinator stop cleanly, and the study still completes")
    struct GracefulStop {
        @Test("SIGTERM a worker (hands back its tasks), then the coordinator (clean stop), restart: same trials.csv")
        func sigtermWorkerThenCoordinator() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("graceful")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let out = harness.directory.file("run")
            let first = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            let leaving = try harness.gfmc.worker(connect: endpoint)
            let staying = try harness.gfmc.worker(connect: endpoint)

            let early = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 10, timeout: 90)
            try #require(early != nil, "the study never got going:\n\(harness.group.describeAll())")
            leaving.kill(SIGTERM)
            // The worker finishes or hands back what it holds and leaves on its own (grace period 30 s by default).
            let leftWith = await leaving.waitForExit(timeout: 45)
            #expect(leftWith == 0, "worker after SIGTERM: \(leaving.describe())")

            let later = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 5, timeout: 90)
            try #require(later != nil, "the study stalled after a worker left:\n\(harness.group.describeAll())")
            first.kill(SIGTERM)
            let stoppedWith = await first.waitForExit(timeout: 20)
            // A clean stop is its own exit status (RunExitCode.stopped = 2), not death by the signal.
            #expect(stoppedWith == RunExitCode.stopped,
                    "the coordinator did not stop cleanly within 20 s of SIGTERM: \(first.describe())")
            let stored = try StoreProbe.count(in: out)
            try #require(stored < study.totalTrials, "the stop must land mid-study (\(stored) stored); make the study longer")

            // Resume. The coordinator's stop may or may not have told the staying worker to leave (no timing guess
            // decides which): a fresh worker joins in any case, so the resumed study always has one.
            let second = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            _ = try harness.gfmc.worker(connect: endpoint)
            let code = await second.waitForExit(timeout: 150)
            try #require(code == 0, "resumed coordinator: \(String(describing: code))\n\(harness.group.describeAll())")

            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.duplicateKeys().isEmpty)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
            // The staying worker left cleanly, on the first coordinator's stop or on the second one's shutdown.
            #expect(await staying.waitForExit(timeout: 30) == 0, "\(staying.describe())")
        }
    }
}

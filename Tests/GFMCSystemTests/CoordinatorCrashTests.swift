import Foundation
import Testing

extension SystemTests {
    @Suite("Coordinator crash: SIGKILL mid-study, restart on the same run directory")
    struct CoordinatorCrash {
        @Test("A restarted coordinator resumes from the store; the same workers finish the study; same trials.csv")
        func restartResumes() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("coordinator-crash")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let out = harness.directory.file("run")
            let first = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            let workers = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }

            // Some but not all trials in the store.
            let midway = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 10, timeout: 90)
            try #require(midway != nil, "the study never got going:\n\(harness.group.describeAll())")
            first.kill(SIGKILL)
            let firstStatus = await first.waitForExit(timeout: 10)
            #expect(firstStatus == 128 + SIGKILL)

            let doneAtKill = try StoreProbe.count(in: out)
            try #require(doneAtKill > 0 && doneAtKill < study.totalTrials,
                         "the kill must land mid-study (done \(doneAtKill) of \(study.totalTrials)); make the study longer")
            for worker in workers {
                #expect(worker.isRunning, "a worker died with its coordinator: \(worker.describe())")
            }

            // Same command line, same run directory: resume.
            let second = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            let code = await second.waitForExit(timeout: 150)
            try #require(code == 0, "restarted coordinator: \(String(describing: code))\n\(harness.group.describeAll())")

            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.keys().count == study.totalTrials)
            #expect(try csv.duplicateKeys().isEmpty)
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let final = try await harness.gfmc.status(runDirectory: out)
            #expect(try final.int("done") == study.totalTrials, "\(final)")

            // The original workers (never restarted) carried the study across the restart and leave on shutdown.
            for worker in workers {
                let status = await worker.waitForExit(timeout: 15)
                #expect(status == 0, "worker after the study: \(worker.describe())")
            }
        }
    }
}

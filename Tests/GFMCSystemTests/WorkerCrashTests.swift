import Foundation
import GFMCTestSupport
import Testing

extension SystemTests {
    @Suite("Worker crashes: SIGKILLed workers lose no trial and duplicate none")
    struct WorkerCrashes {
        @Test("Workers SIGKILLed at seeded random progress points and replaced: every trial once, same trials.csv")
        func killedWorkersAreReplaced() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("worker-crash")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let out = harness.directory.file("run")
            let coordinator = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            var workers = try (0..<3).map { _ in try harness.gfmc.worker(connect: endpoint) }

            // Let the study get going (some trials stored) before the first kill, so kills hit workers with leases.
            let started = await harness.waitForStoredTrials(in: out, atLeast: 1, timeout: 60)
            try #require(started != nil, "the study never started:\n\(harness.group.describeAll())")

            // Each kill fires on observed progress, not on a clock: kill k waits until the store holds a seeded random
            // number of trials in the k-th of `maxKills + 1` equal slices of the study, so every kill lands mid-study
            // on any machine speed (the last slice is left for the survivors).
            var generator = SeededGenerator(seed: 0x5EED_2026)
            let maxKills = 8
            let slice = study.totalTrials / (maxKills + 1)
            var kills = 0
            var killedPIDs: [Int32] = []
            for k in 0..<maxKills {
                let trigger = k * slice + Int.random(in: 1...slice, using: &generator)
                let reached = await harness.waitForStoredTrials(in: out, atLeast: trigger, timeout: 60)
                try #require(reached != nil, "the study stalled before \(trigger) trials:\n\(harness.group.describeAll())")
                let victim = Int.random(in: 0..<workers.count, using: &generator)
                try #require(coordinator.isRunning && workers[victim].isRunning,
                             "kill \(k + 1) at \(trigger) stored trials found no study to disturb:\n\(harness.group.describeAll())")
                workers[victim].kill(SIGKILL)
                let status = await workers[victim].waitForExit(timeout: 10)
                #expect(status == 128 + SIGKILL, "worker \(workers[victim].pid) did not die of SIGKILL: \(String(describing: status))")
                killedPIDs.append(workers[victim].pid)
                kills += 1
                workers[victim] = try harness.gfmc.worker(connect: endpoint)
            }
            let storedAfterKills = try StoreProbe.count(in: out)
            try #require(storedAfterKills < study.totalTrials,
                         "the last kill must land mid-study (\(storedAfterKills) of \(study.totalTrials) stored)")

            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            #expect(kills == maxKills, "only \(kills) kills (\(killedPIDs))")
            print("worker-crash test: SIGKILLed workers \(killedPIDs)")

            let csv = try TrialsCSV(runDirectory: out)
            let keys = try csv.keys()
            #expect(keys.count == study.totalTrials, "\(keys.count) rows for \(study.totalTrials) trials")
            let duplicates = try csv.duplicateKeys()
            #expect(duplicates.isEmpty, "trials recorded more than once: \(duplicates.prefix(10))")
            #expect(Set(keys) == Set(study.expectedKeys))
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")

            // The store itself (its key is the trial) holds exactly the study's trials.
            #expect(try StoreProbe.count(in: out) == study.totalTrials)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == study.totalTrials, "\(status)")
            #expect(try status.int("total") == study.totalTrials, "\(status)")
            // The kills took leases down with them: the coordinator requeued work (reported where the status
            // carries the coordinator's counters).
            if let requeues = try? status.int("requeues") { #expect(requeues >= 1, "\(status)") }
            if let quarantined = try? status.int("quarantined") { #expect(quarantined == 0, "\(status)") }

            // The workers alive at the end leave on the coordinator's shutdown, or at the latest on SIGTERM
            // (a replacement started a moment before the end may never have met the coordinator).
            for worker in workers {
                if await worker.waitForExit(timeout: 10) == nil {
                    worker.kill(SIGTERM)
                }
                let status = await worker.waitForExit(timeout: 40)
                #expect(status == 0, "surviving worker: \(worker.describe())")
            }
        }
    }
}

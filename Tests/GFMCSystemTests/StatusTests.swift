import Foundation
import Testing

extension SystemTests {
    @Suite("gfmc status: consistent counts during and after a run")
    struct Status {
        @Test("status --json while a study runs and after it: totals fixed, done monotone, final counts match trials.csv")
        func statusCountsAreConsistent() async throws {
            let study = SharedStudies.twoThousand
            let harness = try Harness("status")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let run = try harness.gfmc.run(study: studyPath, workers: 2, out: out)

            var snapshots: [StatusSnapshot] = []
            let deadline = Deadline(seconds: 120)
            for _ in 0..<1000 where run.isRunning && !deadline.hasPassed {
                if let snapshot = try? await harness.gfmc.status(runDirectory: out, timeout: 10) {
                    snapshots.append(snapshot)
                }
                await pause(seconds: 0.05)
            }
            let code = await run.waitForExit(timeout: max(1, deadline.remainingSeconds))
            try #require(code == 0, "gfmc run: \(String(describing: code))\n\(harness.group.describeAll())")

            let during = snapshots.filter { (try? $0.int("done")) ?? study.totalTrials < study.totalTrials }
            #expect(!during.isEmpty, "no status snapshot was taken while the study ran (\(snapshots.count) snapshots)")
            var previousDone = 0
            for snapshot in snapshots {
                let total = try snapshot.int("total")
                let done = try snapshot.int("done")
                #expect(total == study.totalTrials, "\(snapshot)")
                #expect(done >= previousDone && done <= total, "done went from \(previousDone) to \(done): \(snapshot)")
                previousDone = done
                // While a coordinator is live, every trial is exactly one of done, in flight, queued, quarantined.
                if let inFlight = try? snapshot.int("inFlight"), let queued = try? snapshot.int("queued"),
                   let quarantined = try? snapshot.int("quarantined") {
                    #expect(inFlight >= 0 && queued >= 0 && quarantined >= 0, "\(snapshot)")
                    #expect(done + inFlight + queued + quarantined == total, "counts do not add up: \(snapshot)")
                }
            }

            let final = try await harness.gfmc.status(runDirectory: out)
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try final.int("total") == study.totalTrials, "\(final)")
            #expect(try final.int("done") == study.totalTrials, "\(final)")
            #expect(try final.int("done") == csv.rows.count)
            #expect(try final.bool("complete"), "\(final)")
            if let quarantined = try? final.int("quarantined") { #expect(quarantined == 0, "\(final)") }
        }
    }
}

import Foundation
import GFMCApplication
import GFMCModel
import GFMCStore
import GFMCStudy
import Testing

/// The stored results of a run directory, wallSeconds included (the oracle for "reused, not recomputed": a
/// recomputed trial gets a new measured wall time).
private func storedResults(_ runDirectory: String) throws -> [TrialResult] {
    let store = try StudyStore(path: runDirectory + "/study.sqlite", readOnly: true)
    defer { store.close() }
    return try store.allResults()
}

private func fileBytes(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw SystemTestError("no file \(path)") }
    return data
}

extension SystemTests {
    @Suite("Grow, shard and merge: stored trials are reused; shards merge into the unsharded result")
    struct GrowShardMerge {
        static let study = TestStudy(name: "grow", widths: [10, 40], trials: 40)

        @Test("three shards run apart and merged give trials.csv and summary.json byte-identical to one unsharded run")
        func shardsMergeIntoTheWholeRun() async throws {
            let harness = try Harness("shards")
            defer { harness.cleanup() }
            let studyPath = try Self.study.write(into: harness.directory.path)
            let whole = harness.directory.file("whole")
            let reference = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: whole, timeout: 120)
            var shards: [String] = []
            for i in 0..<3 {
                let out = harness.directory.file("shard\(i)")
                let csv = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: out, timeout: 120,
                                                                 extra: ["--shard", "\(i)/3"])
                let expected = Self.study.expectedKeys.filter { $0.trial % 3 == i }
                #expect(try csv.keys() == expected, "shard \(i) ran exactly the trials with index mod 3 == \(i)")
                let status = try await harness.gfmc.status(runDirectory: out)
                #expect(try status.int("total") == expected.count, "gfmc status of shard \(i): \(status)")
                #expect(try status.int("done") == expected.count && status.bool("complete"), "\(status)")
                // Without the coordinator's status file the store says which shard the directory holds.
                try FileManager.default.removeItem(atPath: out + "/status.json")
                let fromStore = try await harness.gfmc.status(runDirectory: out)
                #expect(try fromStore.int("total") == expected.count && fromStore.int("done") == expected.count,
                        "gfmc status of shard \(i) without status.json: \(fromStore)")
                shards.append(out)
            }
            let merged = harness.directory.file("merged")
            let result = try await gfmcExit(harness, "merge", ["merge"] + shards + ["--out", merged], timeout: 60)
            #expect(result.code == 0, "\(result.log)")
            #expect(result.log.contains("Merged 80 trials"), "\(result.log)")
            let csv = try TrialsCSV(runDirectory: merged)
            #expect(csv.firstDifference(from: reference) == nil, "\(csv.firstDifference(from: reference) ?? "")")
            #expect(try fileBytes(merged + "/summary.json") == fileBytes(whole + "/summary.json"))
            // The merged directory is a run directory of the study: rerunning it computes nothing.
            let rerun = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: merged, timeout: 60)
            #expect(rerun.firstDifference(from: reference) == nil)
            #expect(try StoreProbe.count(in: merged) == 80)
        }

        @Test("growing reuses every stored trial and equals a fresh run of the bigger study; shrinking reports the smaller")
        func growReusesStoredTrials() async throws {
            let harness = try Harness("grow")
            defer { harness.cleanup() }
            let small = TestStudy(name: "grow", widths: [10, 40], trials: 20)
            let big = TestStudy(name: "grow", widths: [10, 40, 160], trials: 50)
            let smallPath = try small.write(into: harness.directory.path)
            let bigDirectory = harness.directory.file("big-study")
            try FileManager.default.createDirectory(atPath: bigDirectory, withIntermediateDirectories: true)
            let bigPath = try big.write(into: bigDirectory)
            let out = harness.directory.file("run")
            let smallCSV = try await harness.gfmc.runToCompletion(study: smallPath, workers: 1, out: out, timeout: 120)
            let before = try storedResults(out)
            #expect(before.count == 40)

            let grown = try await harness.gfmc.runToCompletion(study: bigPath, workers: 1, out: out, timeout: 120)
            let after = try storedResults(out)
            #expect(after.count == 150)
            let kept = Dictionary(uniqueKeysWithValues: after.map { ($0.id, $0) })
            let recomputed = before.filter { kept[$0.id]?.wallSeconds.bitPattern != $0.wallSeconds.bitPattern }
            #expect(recomputed.isEmpty, "stored trials were recomputed: \(recomputed.prefix(5).map(\.id))")
            let events = try { () throws -> [StoreEvent] in
                let store = try StudyStore(path: out + "/study.sqlite", readOnly: true)
                defer { store.close() }
                return try store.recentEvents(limit: 50)
            }()
            #expect(events.contains { $0.kind == "resume" && $0.detail.hasPrefix("110 of 150 trials to run") },
                    "\(events.map { "\($0.kind): \($0.detail)" })")

            let fresh = try await harness.gfmc.runToCompletion(study: bigPath, workers: 1, out: harness.directory.file("fresh"),
                                                               timeout: 120)
            #expect(grown.firstDifference(from: fresh) == nil, "\(grown.firstDifference(from: fresh) ?? "")")

            // Back to the small study: nothing runs, the report covers it alone, the other trials stay stored.
            let shrunk = try await harness.gfmc.runToCompletion(study: smallPath, workers: 1, out: out, timeout: 60)
            #expect(shrunk.firstDifference(from: smallCSV) == nil, "\(shrunk.firstDifference(from: smallCSV) ?? "")")
            #expect(try StoreProbe.count(in: out) == 150)
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == 40 && status.int("total") == 40, "\(status)")
        }

        @Test("a change to what defines a trial is refused (exit 65 naming the key), for a run and for a merge")
        func changedDefinitionIsRefused() async throws {
            let harness = try Harness("redefine")
            defer { harness.cleanup() }
            let base = TestStudy(name: "redefine", widths: [10], trials: 6)
            var reseeded = base
            reseeded.seed = 8
            let basePath = try base.write(into: harness.directory.path)
            let otherDirectory = harness.directory.file("other")
            try FileManager.default.createDirectory(atPath: otherDirectory, withIntermediateDirectories: true)
            let reseededPath = try reseeded.write(into: otherDirectory)
            let a = harness.directory.file("a"), b = harness.directory.file("b")
            _ = try await harness.gfmc.runToCompletion(study: basePath, workers: 1, out: a, timeout: 60)
            _ = try await harness.gfmc.runToCompletion(study: reseededPath, workers: 1, out: b, timeout: 60)

            let run = try await gfmcExit(harness, "rerun", ["run", reseededPath, "--workers", "1", "--out", a], timeout: 60)
            #expect(run.code == RunExitCode.studyMismatch, "\(run.log)")
            #expect(run.log.contains("seed: 7 → 8") && !run.log.contains("trials:"), "\(run.log)")
            #expect(try StoreProbe.count(in: a) == 6)

            let merged = harness.directory.file("merged")
            let merge = try await gfmcExit(harness, "merge", ["merge", a, b, "--out", merged], timeout: 60)
            #expect(merge.code == RunExitCode.studyMismatch, "\(merge.log)")
            #expect(merge.log.contains(b) && merge.log.contains("seed: 7 → 8"), "\(merge.log)")
            #expect(!FileManager.default.fileExists(atPath: merged), "a refused merge writes nothing")
        }

        @Test("a trial stored twice with different results fails the merge, naming the trial and both directories")
        func tamperedDuplicateIsRefused() async throws {
            let harness = try Harness("tamper")
            defer { harness.cleanup() }
            let study = TestStudy(name: "tamper", widths: [10, 40], trials: 8)
            let studyPath = try study.write(into: harness.directory.path)
            let a = harness.directory.file("a")
            _ = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: a, timeout: 60)
            // b: the same trials, one of them changed by one ulp (as a damaged store or another build would).
            let b = harness.directory.file("b")
            try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: true)
            do {
                let source = try StudyStore(path: a + "/study.sqlite", readOnly: true)
                defer { source.close() }
                let stored = try #require(try source.storedStudy())
                let copy = try StudyStore(path: b + "/study.sqlite")
                defer { copy.close() }
                try copy.adoptStudy(studyHash: stored.studyHash, trialDefinitionHash: try #require(stored.trialDefinitionHash),
                                    resolvedStudyJSON: stored.resolvedStudyJSON, version: "test",
                                    definitionOfStoredJSON: { _ in nil })
                let results = try source.allResults().map { r -> TrialResult in
                    var r = r
                    if r.id == TrialID(width: 40, index: 5) { r.finalLoss = r.finalLoss.nextUp }
                    return r
                }
                try copy.record(results, worker: "tampered", attempt: 1)
            }
            let merged = harness.directory.file("merged")
            let merge = try await gfmcExit(harness, "merge", ["merge", a, b, "--out", merged], timeout: 60)
            #expect(merge.code == RunExitCode.studyMismatch, "\(merge.log)")
            #expect(merge.log.contains("h=40#5 (width 40, index 5)") && merge.log.contains("finalLoss")
                    && merge.log.contains("\(a) and \(b)"), "\(merge.log)")
            #expect(!FileManager.default.fileExists(atPath: merged), "a failed merge removes what it wrote")
        }

        @Test("a merge input whose coordinator is running is refused (exit 75)")
        func runningInputIsRefused() async throws {
            let harness = try Harness("merge-busy")
            defer { harness.cleanup() }
            let long = TestStudy(name: "merge-busy", widths: [10, 40, 160, 640], trials: 2000)
            let studyPath = try long.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let run = try harness.gfmc.run(study: studyPath, workers: 1, out: out)
            let started = await harness.waitForStoredTrials(in: out, atLeast: 10, timeout: 90)
            try #require(started != nil, "the run never got going:\n\(harness.group.describeAll())")
            let merge = try await gfmcExit(harness, "merge", ["merge", out, "--out", harness.directory.file("m")])
            run.kill(SIGTERM)
            _ = await run.waitForExit(timeout: 30)
            #expect(merge.code == RunExitCode.locked, "\(merge.log)")
            #expect(merge.log.contains("in use by a running coordinator"), "\(merge.log)")
        }

        @Test("the merged study: the first's name and definition, the union of widths, the largest trial count; shard filter")
        func mergedStudy() throws {
            let a = try StudyDescription.parse(TestStudy(name: "a", widths: [40, 10], trials: 5).json)
            let b = try StudyDescription.parse(TestStudy(name: "b", widths: [160, 10], trials: 9).json)
            let merged = RunDirectoryMerge.mergedStudy([a, b])
            #expect(merged.name == "a" && merged.widths == [10, 40, 160] && merged.trials == 9)
            #expect(try StudyDescription.parse(merged.canonicalJSON).identityHash == merged.identityHash)
            #expect(merged.trialDefinitionHash == a.trialDefinitionHash)
            #expect(RunDirectoryMerge.mergedStudy([b, b]).identityHash == b.identityHash)
            let all = TrialIndexSet(a.trialIDs ?? [])
            #expect(RunDirectoryCoordinator.trials(all, in: TrialShard(index: 1, count: 2))
                    == [TrialID(width: 10, index: 1), TrialID(width: 10, index: 3), TrialID(width: 40, index: 1),
                        TrialID(width: 40, index: 3)])
            #expect(RunDirectoryCoordinator.trials(all, in: nil) == all)
            for n in 1...4 {
                for i in 0..<n {
                    let shard = try #require(TrialShard(index: i, count: n))
                    for trials in 0...9 {
                        #expect(shard.count(of: trials) == (0..<trials).filter { $0 % n == i }.count, "\(shard) of \(trials)")
                    }
                }
            }
        }

        @Test("bad --shard values and merge without inputs or --out are usage errors (exit 64) naming the problem",
              arguments: [
                  (["run", "STUDY", "--shard", "3/3"], "--shard: '3/3': I must be in 0…2"),
                  (["run", "STUDY", "--shard", "-1/2"], "--shard: '-1/2': I must be in 0…1"),
                  (["run", "STUDY", "--shard", "0/0"], "--shard: '0/0': N must be at least 1"),
                  (["coordinator", "STUDY", "--bind", "tcp://127.0.0.1:0", "--shard", "1"], "--shard: '1' is not of the form I/N"),
                  (["run", "PRECISION", "--shard", "0/2"], "--shard is not available for a study with precision targets"),
                  (["merge", "--out", "OUT"], "missing argument DIR"),
                  (["merge", "DIR"], "missing required option -o, --out DIR"),
              ])
        func usageErrors(arguments: [String], message: String) async throws {
            let harness = try Harness("shard-usage")
            defer { harness.cleanup() }
            let studyPath = try TestStudy(name: "usage", widths: [10], trials: 2).write(into: harness.directory.path)
            let precisionPath = harness.directory.file("precision.json")
            try TestStudy(name: "precision", widths: [10], trials: 2).json
                .replacingOccurrences(of: "\"trials\": 2,", with: """
                    "precision": {"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.01}],
                                  "max_trials_per_width": 50},
                    """)
                .write(toFile: precisionPath, atomically: true, encoding: .utf8)
            let resolved = arguments.map {
                switch $0 {
                case "STUDY": return studyPath
                case "PRECISION": return precisionPath
                case "OUT", "DIR": return harness.directory.file($0.lowercased())
                default: return $0
                }
            }
            let result = try await gfmcExit(harness, "usage", resolved)
            #expect(result.code == 64, "\(result.log)")
            #expect(result.log.contains(message), "\(result.log)")
        }
    }
}

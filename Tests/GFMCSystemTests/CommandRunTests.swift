import Foundation
import GFMCApplication
import GFMCCommandLine
import GFMCEngine
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy
import GFMCTestSupport
import GFMCTransport
import Testing

/// Runs `gfmc ARGS` (the real binary) to completion, bounded by `timeout`; exit status and its log.
private func gfmcCommand(_ harness: Harness, _ name: String, _ arguments: [String],
                         timeout: Double = 60) async throws -> (code: Int32, log: String) {
    let binary = try GFMCBinary.path()
    let child = try harness.group.start(name: name, executable: binary, arguments: arguments,
                                        environment: GFMCProcesses.childEnvironment)
    guard let code = await child.waitForExit(timeout: timeout) else {
        child.forceStop()
        throw SystemTestError("gfmc \(arguments.joined(separator: " ")) did not exit within \(timeout) s\n\(child.describe())")
    }
    return (code, child.logTail(maxBytes: 1 << 20))
}

private func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

extension SystemTests {
    @Suite("gfmc run / coordinator / status / report / keygen commands")
    struct CommandRun {
        static let tiny = TestStudy(name: "command-tiny", widths: [10, 40], trials: 30)

        @Test("run end to end: report files, status JSON, report rebuild byte-identical, resume no-op, changed study refused")
        func runEndToEnd() async throws {
            let harness = try Harness("command-run")
            defer { harness.cleanup() }
            let study = Self.tiny
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")

            let (code, log) = try await gfmcCommand(harness, "run", ["run", studyPath, "--workers", "2", "--out", out])
            try #require(code == 0, "gfmc run exited \(code):\n\(log)")
            #expect(log.contains("Complete: \(study.totalTrials) trials"), "\(log)")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.keys() == study.expectedKeys)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            for name in ["summary.json", "report.html", "status.json", "study.sqlite", "coordinator.lock"] {
                #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
            }

            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == study.totalTrials && status.int("total") == study.totalTrials, "\(status)")
            #expect(try status.bool("complete"), "\(status)")
            #expect(status.lookup("state") as? String == "complete", "\(status)")

            // gfmc report rebuilds exactly the files the run wrote.
            let before = ["trials.csv", "summary.json", "report.html"].map { fileBytes(out + "/" + $0) }
            for name in ["trials.csv", "summary.json", "report.html"] { try FileManager.default.removeItem(atPath: out + "/" + name) }
            let report = try await gfmcCommand(harness, "report", ["report", out])
            try #require(report.code == 0, "gfmc report: \(report.log)")
            let after = ["trials.csv", "summary.json", "report.html"].map { fileBytes(out + "/" + $0) }
            #expect(before.allSatisfy { $0 != nil } && before == after, "gfmc report differs from the run's files")
            #expect(report.log.contains("Study \(study.name)"), "no summary table: \(report.log)")

            // Rerunning the finished study runs nothing and exits 0 with the same trials.
            let again = try await gfmcCommand(harness, "rerun", ["run", studyPath, "--workers", "1", "--out", out])
            #expect(again.code == 0, "\(again.log)")
            #expect(again.log.contains("0 of \(study.totalTrials) trials to run"), "\(again.log)")
            #expect(fileBytes(out + "/trials.csv") == before[0])

            // A study whose trials are defined differently is refused (exit 65) with the trial-defining keys that
            // changed (the trial count is the study's size, not part of a trial's definition); the store is untouched.
            var changed = study
            changed.trials = 31
            changed.noise = 0.02
            let changedPath = harness.directory.file("changed.json")
            try changed.json.write(toFile: changedPath, atomically: true, encoding: .utf8)
            let refused = try await gfmcCommand(harness, "changed", ["run", changedPath, "--workers", "1", "--out", out])
            #expect(refused.code == 65, "\(refused.log)")
            #expect(!refused.log.contains("trials: 30 → 31") && refused.log.contains("data.noise: 0.01 → 0.02"), "\(refused.log)")
            #expect(try StoreProbe.count(in: out) == study.totalTrials)
        }

        @Test("SIGTERM stops gfmc run cleanly (exit 2, resume hint, partial report); rerun completes with every trial once")
        func stopAndResume() async throws {
            let harness = try Harness("command-resume")
            defer { harness.cleanup() }
            let study = TestStudy(name: "command-resume", widths: [10, 40, 160], trials: 1500)
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")

            let run = try harness.gfmc.run(study: studyPath, workers: 2, out: out)
            let started = await harness.waitForStoredTrials(in: out, atLeast: 30, timeout: 60)
            try #require(started != nil, "the study never got going:\n\(harness.group.describeAll())")
            run.kill(SIGTERM)
            let code = await run.waitForExit(timeout: 30)
            let log = run.logTail(maxBytes: 1 << 20)
            let stored = try StoreProbe.count(in: out)
            try #require(stored < study.totalTrials, "the stop must land mid-study; make the study longer")
            #expect(code == 2, "gfmc run after SIGTERM: \(String(describing: code))\n\(log)")
            #expect(log.contains("Resume with: gfmc run"), "\(log)")

            // The partial report holds exactly the stored trials; status says stopped.
            let partial = try TrialsCSV(runDirectory: out)
            #expect(partial.rows.count == stored)
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(status.lookup("state") as? String == "stopped", "\(status)")
            #expect(try status.int("done") == stored && !status.bool("complete"), "\(status)")

            let resumed = try await gfmcCommand(harness, "resume", ["run", studyPath, "--workers", "2", "--out", out], timeout: 120)
            try #require(resumed.code == 0, "resumed run: \(resumed.log)")
            #expect(resumed.log.contains("\(study.totalTrials - stored) of \(study.totalTrials) trials to run"), "\(resumed.log)")
            let final = try TrialsCSV(runDirectory: out)
            #expect(try final.keys() == study.expectedKeys)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            // Trials computed before the stop are unchanged in the final file.
            let finalRows = Set(final.rows)
            #expect(partial.rows.allSatisfy { finalRows.contains($0) })
        }

        @Test("A second coordinator on the same run directory is refused (exit 75); stopping a --keep-running one after completion exits 0")
        func secondCoordinatorRefused() async throws {
            let harness = try Harness("command-lock")
            defer { harness.cleanup() }
            let study = Self.tiny
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let first = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out, extra: ["--keep-running"])
            let worker = try harness.gfmc.worker(connect: endpoint)
            let complete = await harness.waitForStatus(of: out, timeout: 60) { try $0.bool("complete") }
            try #require(complete != nil, "\(harness.group.describeAll())")

            let second = try await gfmcCommand(harness, "second", ["coordinator", studyPath, "--bind",
                                                                   "tcp://127.0.0.1:\(try freeLoopbackPort())", "--out", out])
            #expect(second.code == 75, "\(second.log)")
            #expect(second.log.contains("in use by another coordinator (pid \(first.pid))"), "\(second.log)")
            #expect(first.isRunning)

            first.kill(SIGTERM)
            #expect(await first.waitForExit(timeout: 20) == 0, "\(first.describe())")
            #expect(await worker.waitForExit(timeout: 20) == 0, "\(worker.describe())")
            #expect(try TrialsCSV(runDirectory: out).keys() == study.expectedKeys)
        }

        @Test("precision study: rounds until targets are met or capped, deterministic across worker counts, verdict in summary.json")
        func precisionRounds() async throws {
            let harness = try Harness("command-precision")
            defer { harness.cleanup() }
            let text = """
            {"name": "command-precision", "seed": 5,
             "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10, "output_dim": 1, "noise": 0.01, "data_seed": 77},
             "init": {"kind": "width_scaled", "alpha": 0.5}, "widths": [10, 40, 160], "engine": "sampled", "deltas": [0.05],
             "precision": {"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.04}],
                           "min_trials_per_width": 10, "max_trials_per_width": 120}}
            """
            let studyPath = harness.directory.file("precision.json")
            try text.write(toFile: studyPath, atomically: true, encoding: .utf8)
            let one = harness.directory.file("one"), two = harness.directory.file("two")
            for (out, workers) in [(one, "1"), (two, "2")] {
                let r = try await gfmcCommand(harness, "precision-\(workers)", ["run", studyPath, "--workers", workers, "--out", out],
                                              timeout: 120)
                try #require(r.code == 0, "\(r.log)")
                #expect(r.log.contains("Precision targets"), "\(r.log)")
            }
            let a = try TrialsCSV(runDirectory: one), b = try TrialsCSV(runDirectory: two)
            #expect(a.firstDifference(from: b) == nil, "\(a.firstDifference(from: b) ?? "")")

            // Oracle: replaying the allocator over the stored results asks for nothing more, and summary.json's
            // verdict agrees with the allocator's plan on those results.
            let study = try StudyDescription.load(path: studyPath)
            let rounds = try PrecisionRounds(study: study)
            let store = try StudyStore(path: one + "/study.sqlite", readOnly: true)
            let results = try store.allResults()
            store.close()
            #expect(rounds.pendingTrials(stored: results).isEmpty)
            let plan = rounds.plan(results: results)
            let counts = Dictionary(grouping: results, by: { $0.id.width }).mapValues(\.count)
            for w in plan.widths {
                #expect(w.targetsMet || w.capReached, "width \(w.width) neither met nor capped: \(w)")
                #expect((counts[w.width] ?? 0) >= 10 && (counts[w.width] ?? 0) <= 120)
                // Indices are consecutive from 0 (ids depend only on the allocation decisions).
                let indices = results.filter { $0.id.width == w.width }.map(\.id.index).sorted()
                #expect(indices == Array(0..<indices.count))
            }
            #expect(Set(counts.values).count > 1, "expected rounds to allocate unevenly: \(counts)")

            // Resume at any moment gives the same trials: replay with stored = every finished round plus a random
            // part of the current one; the replay only ever asks for trials the uninterrupted run ran, and ends
            // with exactly them.
            let all = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
            var generator = SeededGenerator(seed: 99)
            for _ in 0..<5 {
                var stored: [TrialID: TrialResult] = [:]
                var steps = 0
                while steps < 1000 {
                    steps += 1
                    let pending = rounds.pendingTrials(stored: Array(stored.values))
                    if pending.isEmpty { break }
                    #expect(pending.allSatisfy { all[$0] != nil }, "a resumed run would ask for trials the uninterrupted run did not run")
                    let keep = pending.filter { _ in Bool.random(using: &generator) }
                    for id in (keep.isEmpty ? [pending[0]] : keep) { stored[id] = all[id] }
                }
                #expect(Set(stored.keys) == Set(all.keys))
            }
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: one + "/summary.json"))) as? [String: Any]
            let verdict = summary?["precision"] as? [String: Any]
            let widths = verdict?["widths"] as? [[String: Any]] ?? []
            #expect(widths.count == 3, "summary.json precision: \(String(describing: verdict))")
            for (entry, w) in zip(widths, plan.widths) {
                #expect(entry["width"] as? Int == w.width && entry["targetsMet"] as? Bool == w.targetsMet
                        && entry["trials"] as? Int == w.currentTrials)
            }
        }

        @Test("keygen writes PREFIX.key (0600) and PREFIX.pub; refuses to overwrite without --force")
        func keygen() async throws {
            let harness = try Harness("command-keygen")
            defer { harness.cleanup() }
            let prefix = harness.directory.file("coordinator")
            let r = try await gfmcCommand(harness, "keygen", ["keygen", "--out", prefix])
            try #require(r.code == 0, "\(r.log)")
            let secretMode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int
            let publicMode = try FileManager.default.attributesOfItem(atPath: prefix + ".pub")[.posixPermissions] as? Int
            #expect(secretMode == 0o600)
            #expect(publicMode.map { $0 & 0o077 != 0o077 && $0 & 0o400 != 0 } == true)
            let pair = try CurveKeyPairFiles.read(prefix)
            #expect(pair.derivedPublic == pair.publicKey, "the .pub is not the .key's public key")
            let again = try await gfmcCommand(harness, "keygen-again", ["keygen", "--out", prefix])
            #expect(again.code == 1, "\(again.log)")
            #expect(try CurveKeyPairFiles.read(prefix).publicKey == pair.publicKey, "an existing key was overwritten")
        }

        @Test("status and report on a directory that is not a run directory fail naming it")
        func notARunDirectory() async throws {
            let harness = try Harness("command-empty")
            defer { harness.cleanup() }
            let empty = try harness.directory.subdirectory("empty")
            for command in ["status", "report"] {
                let r = try await gfmcCommand(harness, command, [command, empty])
                #expect(r.code == 1 && r.log.contains(empty), "\(command): \(r.code) \(r.log)")
            }
        }

        @Test("the embedded default study is configs/quick.json, byte for byte and by hash")
        func embeddedDefault() throws {
            let text = try String(contentsOfFile: GFMCBinary.repositoryFile("configs/quick.json"), encoding: .utf8)
            #expect(text == EmbeddedStudies.quick)
            let (context, capture) = CommandContext.capturing()
            #expect(GFMCMain.run(arguments: ["hash"], context: context) == 0)
            #expect(GFMCMain.run(arguments: ["hash", GFMCBinary.repositoryFile("configs/quick.json")], context: context) == 0)
            let lines = capture.output.split(separator: "\n")
            #expect(lines.count == 2 && lines[0] == lines[1], "\(capture.output)")
        }
    }
}

/// Reads a keygen pair through GFMCTransport (the key files' own parser) and derives the public key.
private enum CurveKeyPairFiles {
    struct Pair { let publicKey: String; let derivedPublic: String }
    static func read(_ prefix: String) throws -> Pair {
        let publicKey = try CurveKeyPair.readKey(path: prefix + ".pub")
        let derived = try CurveKeyPair.read(secretKeyPath: prefix + ".key").publicKey
        return Pair(publicKey: publicKey, derivedPublic: derived)
    }
}

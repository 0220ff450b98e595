import Foundation
import GFMCCommandLine
import GFMCTestSupport
import Testing

extension SystemTests {
    @Suite("Bad data: validate, run and coordinator refuse it with exit 65 before any worker starts")
    struct BadInput {
        @Test("gfmc validate and gfmc run exit 65 naming the key and the file; run writes nothing, starts no worker",
              arguments: BadDataFixtures.cases)
        func badDataIsRefusedUpFront(_ badCase: BadDataCase) async throws {
            let harness = try Harness("bad-\(badCase.name)")
            defer { harness.cleanup() }
            let studyPath = try BadDataFixtures.write(badCase, into: harness.directory.path)
            let file = harness.directory.file(badCase.file)

            let validate = try await gfmcExit(harness, "validate", ["validate", studyPath], timeout: 30)
            #expect(validate.code == ExitCode.dataError, "\(validate.log)")
            #expect(validate.log.contains("invalid") && validate.log.contains(badCase.key) && validate.log.contains(file)
                    && validate.log.contains(badCase.fragment), "\(validate.log)")
            #expect(!validate.log.contains(": valid"), "\(validate.log)")

            let out = harness.directory.file("run")
            let run = try await gfmcExit(harness, "run", ["run", studyPath, "--workers", "1", "--out", out], timeout: 30)
            #expect(run.code == ExitCode.dataError, "\(run.log)")
            #expect(run.log.contains(badCase.key) && run.log.contains(file) && run.log.contains(badCase.fragment), "\(run.log)")
            // Refused before the run directory exists: no store, no worker log, no resume hint.
            #expect(!FileManager.default.fileExists(atPath: out), "gfmc run created \(out) for bad data")
            #expect(!run.log.contains("Resume with"), "\(run.log)")
        }

        @Test("gfmc coordinator on bad data exits 65 naming the file instead of serving it")
        func coordinatorRefusesBadData() async throws {
            let harness = try Harness("bad-coordinator")
            defer { harness.cleanup() }
            let badCase = try #require(BadDataFixtures.cases.first { $0.name == "rows-differ" })
            let studyPath = try BadDataFixtures.write(badCase, into: harness.directory.path)
            let out = harness.directory.file("run")
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let result = try await gfmcExit(harness, "coordinator",
                                            ["coordinator", studyPath, "--bind", endpoint, "--out", out], timeout: 30)
            #expect(result.code == ExitCode.dataError, "\(result.log)")
            #expect(result.log.contains("data.y_file") && result.log.contains(harness.directory.file("y.csv"))
                    && result.log.contains("Y has 2 rows and X has 3"), "\(result.log)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }

        @Test("the same study with good data validates (exit 0) and runs to completion")
        func goodDataStillRuns() async throws {
            let harness = try Harness("good-data")
            defer { harness.cleanup() }
            let studyPath = try BadDataFixtures.writeGood(into: harness.directory.path)
            let validate = try await gfmcExit(harness, "validate", ["validate", studyPath], timeout: 30)
            #expect(validate.code == 0 && validate.log.contains(": valid"), "\(validate.log)")
            // By hand (N = 3, n = 2, m = 1): 2 trials × (2 B + 2 KiB for the report) = 4100 B; data 8·(18 + 6 + 12 + 24 + 2) = 496 B; a sampled trial
            // 8·(4·3·3 + 4·2 + 4·3) = 448 B.
            #expect(validate.log.contains("memory    coordinator 4.0 KiB, data 496 B per worker, largest trial (h = 4, sampled) 448 B"),
                    "\(validate.log)")
            let out = harness.directory.file("run")
            let csv = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: out, timeout: 120)
            #expect(csv.rows.count == 2)
        }
    }
}

extension SystemTests {
    @Suite("Studies too large for the machine: refused up front; a worker fails the trials it cannot afford")
    struct TooLarge {
        static let studies: [(name: String, text: String, key: String)] = [
            ("trials", #"{"name": "t", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10], "trials": 1e12}"#,
             "trials"),
            ("width", #"{"name": "w", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10, 1e15], "trials": 1, "engine": "weights"}"#,
             "widths"),
            ("dimension", #"{"name": "n", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 1e8}, "widths": [10], "trials": 1}"#,
             "data.input_dim"),
        ]

        @Test("validate, run and coordinator exit 65 with the estimate and the key; nothing is written")
        func refusedUpFront() async throws {
            let harness = try Harness("too-large")
            defer { harness.cleanup() }
            for study in Self.studies {
                let path = harness.directory.file("\(study.name).json")
                try study.text.write(toFile: path, atomically: true, encoding: .utf8)
                let out = harness.directory.file("run-\(study.name)")
                let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
                for arguments in [["validate", path], ["run", path, "--workers", "1", "--out", out],
                                  ["coordinator", path, "--bind", endpoint, "--out", out]] {
                    let result = try await gfmcExit(harness, "\(arguments[0])-\(study.name)", arguments, timeout: 30)
                    #expect(result.code == ExitCode.dataError, "\(arguments): \(result.log)")
                    #expect(result.log.contains("\(study.key): ") && result.log.contains("needs about")
                            || result.log.contains("need about"), "\(arguments): \(result.log)")
                    #expect(result.log.contains("GFMC_MEMORY_LIMIT"), "\(result.log)")
                }
                #expect(!FileManager.default.fileExists(atPath: out))
            }
        }

        @Test("a worker with too little memory fails the wide trials (task_failed with the estimate) and keeps working")
        func workerFailsUnaffordableTrials() async throws {
            let harness = try Harness("worker-memory")
            defer { harness.cleanup() }
            let path = harness.directory.file("study.json")
            try """
            {"name": "mem", "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10}, "widths": [4, 200000],
             "trials": 3, "engine": "weights", "deltas": []}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let out = harness.directory.file("run")
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            _ = try harness.gfmc.coordinator(study: path, bind: endpoint, out: out)
            let worker = try harness.group.start(name: "small-worker", executable: harness.gfmc.binary,
                                                 arguments: ["worker", "--connect", endpoint, "--slots", "1"],
                                                 environment: ["OPENBLAS_NUM_THREADS": "1", "GFMC_MEMORY_LIMIT": "20M"])
            // Progress observed: the affordable trials (width 4) reach the store, and the worker reports a failure.
            let stored = await harness.waitForStoredTrials(in: out, atLeast: 3, timeout: 90)
            #expect(stored != nil, "the affordable trials never arrived:\n\(harness.group.describeAll())")
            let failed = await waitUntil(timeout: 90, interval: 0.1) {
                worker.logTail(maxBytes: 1 << 20).contains("needs about")
            }
            let log = worker.logTail(maxBytes: 1 << 20)
            #expect(failed, "no task failed with the estimate:\n\(harness.group.describeAll())")
            #expect(log.contains("failed") && log.contains("widths: a trial at width 200000 with the weights engine")
                    && log.contains("20.0 MiB (GFMC_MEMORY_LIMIT"), "\(log)")
            // It failed the task instead of aborting on the allocation: still connected and working.
            #expect(worker.isRunning, "the worker died: \(worker.describe())")
            let keys = try StoreProbe.recordedKeys(in: out)
            #expect(keys.allSatisfy { $0.width == 4 }, "\(keys)")
        }
    }
}

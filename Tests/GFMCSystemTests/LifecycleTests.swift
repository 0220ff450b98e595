import Foundation
import GFMCApplication
import GFMCCommandLine
import Testing

/// The pids of the live `gfmc worker` children of `parent` (from /proc: parent pid and command line).
private func workerChildren(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state, fields[1] the parent pid; a zombie ("Z") has exited.
        guard fields.count > 2, fields[0] != "Z", Int32(fields[1]) == parent else { return false }
        let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return command.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "worker" }
    }.sorted()
}

/// True when `pid` is gone or a zombie.
private func hasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}

extension SystemTests {
    @Suite("Lifecycle: SIGHUP, local worker replacement, dead coordinators, foreign --out directories")
    struct Lifecycle {
        static let long = TestStudy(name: "lifecycle-long", widths: [10, 40, 160, 640], trials: 2000)

        @Test("SIGHUP stops gfmc run like SIGTERM: exit 2, partial report, its workers stopped")
        func sighupStopsLikeSigterm() async throws {
            let study = Self.long
            let harness = try Harness("sighup")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let run = try harness.gfmc.run(study: studyPath, workers: 2, out: out)

            let early = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 20, timeout: 90)
            try #require(early != nil, "the study never got going:\n\(harness.group.describeAll())")
            let workers = workerChildren(of: run.pid)
            #expect(workers.count == 2, "local workers: \(workers)")
            run.kill(SIGHUP)
            let code = await run.waitForExit(timeout: 30)
            #expect(code == RunExitCode.stopped, "gfmc run after SIGHUP: \(run.describe())")
            let log = run.logTail(maxBytes: 1 << 20)
            #expect(log.contains("stopped (SIGHUP)") && log.contains("Resume with:"), "\(log)")
            let stored = try StoreProbe.count(in: out)
            try #require(stored < study.totalTrials, "the stop must land mid-study (\(stored) stored)")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(csv.rows.count == stored, "partial report: \(csv.rows.count) rows, \(stored) stored")
            let gone = await waitUntil(timeout: 10) { workers.allSatisfy(hasExited) }
            #expect(gone, "workers \(workers.filter { !hasExited($0) }) outlived gfmc run")
        }

        @Test("a local worker that exits while the study runs is replaced, and the study completes")
        func exitedWorkerIsReplaced() async throws {
            let study = SharedStudies.twoThousand
            let harness = try Harness("replace")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let run = try harness.gfmc.run(study: studyPath, workers: 1, out: out)

            let early = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 10, timeout: 90)
            try #require(early != nil, "the study never got going:\n\(harness.group.describeAll())")
            let first = try #require(workerChildren(of: run.pid).first, "no local worker")
            kill(first, SIGTERM)   // a clean exit (status 0), which used to leave gfmc run waiting forever
            let code = await run.waitForExit(timeout: 150)
            #expect(code == 0, "gfmc run: \(run.describe())")
            let log = run.logTail(maxBytes: 1 << 20)
            #expect(log.contains("local worker \(first) exited with status 0 while the study runs; starting a replacement"), "\(log)")
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
        }

        @Test("when local workers keep exiting, gfmc run stops with the reason instead of waiting")
        func workersThatKeepExitingStopTheRun() async throws {
            let study = Self.long
            let harness = try Harness("keep-exiting")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let run = try harness.gfmc.run(study: studyPath, workers: 1, out: out)
            // Budget for 1 worker: 2·1 + 2 = 4 replacements; the 5th exit stops the run.
            var killed: Set<Int32> = []
            for _ in 0..<8 where run.isRunning {
                var next: Int32?
                _ = await waitUntil(timeout: 30, interval: 0.02) {
                    next = workerChildren(of: run.pid).first { !killed.contains($0) }
                    return next != nil || !run.isRunning
                }
                guard let next else { break }
                killed.insert(next)
                kill(next, SIGKILL)
            }
            let code = await run.waitForExit(timeout: 30)
            #expect(code == RunExitCode.stopped, "gfmc run: \(run.describe())")
            #expect(killed.count == 5, "workers killed: \(killed.count)")
            let log = run.logTail(maxBytes: 1 << 20)
            #expect(log.contains("local workers keep exiting: 5 exits while the study ran") && log.contains("workers.log"), "\(log)")
        }

        @Test("gfmc status says a SIGKILLed coordinator is not running, at once")
        func statusRecognisesDeadCoordinator() async throws {
            let harness = try Harness("dead-coordinator")
            defer { harness.cleanup() }
            let studyPath = try Self.long.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let coordinator = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            let live = await harness.waitForStatus(of: out, timeout: 60) { $0.lookup("state") as? String == "running" }
            try #require(live != nil, "the coordinator never reported running:\n\(harness.group.describeAll())")
            coordinator.kill(SIGKILL)
            _ = await coordinator.waitForExit(timeout: 10)
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(status.lookup("state") as? String == "interrupted", "\(status)")
            let (code, text) = try await harness.gfmc.statusText(runDirectory: out)
            #expect(code == 0 && text.contains("state: interrupted") && text.contains("is not running"), "\(text)")
        }

        @Test("--out refuses a non-empty directory that is not a run directory, naming it, and writes nothing")
        func outRefusesForeignDirectory() async throws {
            let harness = try Harness("foreign-out")
            defer { harness.cleanup() }
            let study = TestStudy(name: "foreign", widths: [10], trials: 4)
            let studyPath = try study.write(into: harness.directory.path)
            let foreign = try harness.directory.subdirectory("photos")
            try "keep me\n".write(toFile: foreign + "/trials.csv", atomically: true, encoding: .utf8)
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            for arguments in [["run", studyPath, "--workers", "1", "--out", foreign],
                              ["coordinator", studyPath, "--bind", endpoint, "--out", foreign]] {
                let result = try await gfmcExit(harness, arguments[0], arguments, timeout: 30)
                #expect(result.code == ExitCode.failure, "\(result.log)")
                #expect(result.log.contains("--out \(foreign) is a non-empty directory that is not a gfmc run directory")
                        && result.log.contains("trials.csv"), "\(result.log)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: foreign) == ["trials.csv"])
            #expect(try String(contentsOfFile: foreign + "/trials.csv", encoding: .utf8) == "keep me\n")

            // A directory holding only lost+found and a deployment's per-run keys (deploy/slurm) is fine.
            let fresh = try harness.directory.subdirectory("fresh")
            _ = try harness.directory.subdirectory("fresh/lost+found")
            _ = try harness.directory.subdirectory("fresh/keys")
            let csv = try await harness.gfmc.runToCompletion(study: studyPath, workers: 1, out: fresh, timeout: 120)
            #expect(csv.rows.count == study.totalTrials)
        }
    }
}

@Suite("Reading /proc/locks for a run directory's coordinator lock")
struct LocksTableTests {
    // st_dev 0xfe00 is device 254:0 ("fe:00"); 0x2d is 0:45 ("00:2d").
    static let table = """
    1: POSIX  ADVISORY  WRITE 21237 fe:00:5325353 1073741824 1073742335
    2: FLOCK  ADVISORY  WRITE 21363 fe:00:16229188 0 EOF
    2: -> FLOCK  ADVISORY  WRITE 21400 fe:00:777 0 EOF
    3: FLOCK  ADVISORY  WRITE 21063 00:2d:16220238 0 EOF
    """

    @Test func findsAFlockByDeviceAndInode() {
        #expect(RunDirectory.locksTable(Self.table, holdsInode: 16229188, device: 0xfe00))
        #expect(RunDirectory.locksTable(Self.table, holdsInode: 16220238, device: 0x2d))
        // Same inode on another device, a POSIX lock, a blocked waiter, an absent inode: not held.
        #expect(!RunDirectory.locksTable(Self.table, holdsInode: 16229188, device: 0x2d))
        #expect(!RunDirectory.locksTable(Self.table, holdsInode: 5325353, device: 0xfe00))
        #expect(!RunDirectory.locksTable(Self.table, holdsInode: 777, device: 0xfe00))
        #expect(!RunDirectory.locksTable(Self.table, holdsInode: 1, device: 0xfe00))
        #expect(!RunDirectory.locksTable("", holdsInode: 16229188, device: 0xfe00))
    }

    @Test func aLiveLockOnThisMachineIsSeen() throws {
        let harness = try Harness("lock-seen")
        defer { harness.cleanup() }
        let directory = RunDirectory(path: harness.directory.path)
        #expect(directory.lockIsHeld() == nil, "no lock file yet")
        do {
            let lock = try RunDirectoryLock(directory)
            #expect(directory.lockIsHeld() == true)
            withExtendedLifetime(lock) {}
        }
        #expect(directory.lockIsHeld() == false)
    }
}

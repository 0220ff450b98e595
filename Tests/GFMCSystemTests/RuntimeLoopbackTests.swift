import Foundation
import GFMCBenchmarks
import GFMCConcurrency
import GFMCCoordination
import GFMCEngine
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCTransport
import Testing

/// The coordinator and worker runtimes over real ZeroMQ sockets on loopback, in one process
/// (threads), with a deterministic fake executor. Every wait is bounded.
@Suite("Runtime over loopback", .serialized)
struct RuntimeLoopbackTests {
    /// True when the stored result is exactly what the fake engine computes for its trial.
    func matchesFake(_ stored: TrialResult) -> Bool {
        let expected = runtimeFakeResult(stored.id)
        return stored.steps == expected.steps && stored.converged == expected.converged
            && stored.distanceFrobenius.bitPattern == expected.distanceFrobenius.bitPattern
            && stored.distanceOperator.bitPattern == expected.distanceOperator.bitPattern
            && stored.measuredRate.isNaN && stored.stopReason == expected.stopReason
    }

    func checkStore(_ path: String, trials: [TrialID]) throws {
        let store = try StudyStore(path: path, readOnly: true)
        defer { store.close() }
        let results = try store.allResults()
        #expect(results.map(\.id) == trials.sorted())
        #expect(results.allSatisfy(matchesFake))
    }

    func workerSummaryMissing(_ worker: BackgroundThread<WorkerRunSummary>) -> Bool {
        worker.wait(seconds: 0) == nil
    }

    func startCoordinator(_ options: CoordinatorOptions) -> (BackgroundThread<CoordinatorRunSummary>, String?) {
        var options = options
        let endpoint = LockedValue<String?>(nil)
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let run = BackgroundThread("coordinator") { try CoordinatorRuntime.run(fixed) }
        return (run, endpoint.await(seconds: 10))
    }

    @Test("two workers complete a study; the store holds every trial once with the engine's values")
    func endToEnd() throws {
        let dir = try runtimeTemporaryDirectory("e2e")
        let trials = runtimeTrials(widths: [3, 7, 11], perWidth: 100)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        options.statusPath = dir + "/status.json"
        let (coordinator, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let executor = runtimeFakeExecutor(secondsPerTrial: 0.0005, expectedHash: runtimeStudy.hash)
        let workers = [2, 1].enumerated().map { index, slots in
            BackgroundThread("worker\(index)") {
                try WorkerRuntime.run(runtimeFastWorkerOptions(endpoint: address, slots: slots, executor: executor))
            }
        }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete)
        #expect(summary.status.done == trials.count && summary.status.total == trials.count)
        #expect(summary.quarantined.isEmpty)
        var computed = 0
        for worker in workers {
            let result = try #require(worker.wait(seconds: 10)).get()
            #expect(result.ending == .shutdown)
            computed += result.trialsCompleted
        }
        #expect(computed >= trials.count)
        try checkStore(options.storePath, trials: trials)
        let report = try CoordinatorStatusReport.read(from: dir + "/status.json")
        #expect(report.state == .complete && report.status.done == trials.count)
        #expect(report.endpoint == address)
    }

    @Test("a restarted coordinator resumes from the store; the worker re-announces and finishes")
    func coordinatorRestart() throws {
        let dir = try runtimeTemporaryDirectory("restart")
        let trials = runtimeTrials(widths: [4, 9], perWidth: 150)
        let stop = StopFlag()
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        options.settings.maxTrialsPerTask = 10
        options.progressInterval = 0.02
        options.shutdownWorkersOnStop = false
        options.stop = stop
        options.progress = { status in if status.done >= 60 { stop.request("test: simulated crash") } }
        let (first, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let logs = RuntimeLogSink()
        var workerOptions = runtimeFastWorkerOptions(endpoint: address, slots: 2, executor: runtimeFakeExecutor(secondsPerTrial: 0.002))
        workerOptions.log = { logs.append($0) }
        let fixedWorkerOptions = workerOptions
        let worker = BackgroundThread("worker") { try WorkerRuntime.run(fixedWorkerOptions) }

        let firstSummary = try #require(first.wait(seconds: 60)).get()
        #expect(firstSummary.ending == .stopped)
        let doneBefore = firstSummary.status.done
        #expect(doneBefore >= 60 && doneBefore < trials.count)

        // Same endpoint, same store: resume.
        var second = options
        second.endpoint = address
        second.stop = nil
        second.progress = nil
        second.shutdownWorkersOnStop = true
        let coordinatorLogs = RuntimeLogSink()
        second.log = { coordinatorLogs.append($0) }
        let (resumed, _) = startCoordinator(second)
        let secondSummary = try #require(resumed.wait(seconds: 60)).get()
        #expect(secondSummary.ending == .complete)
        #expect(secondSummary.status.done == trials.count, "\(coordinatorLogs.all)")
        defer { if workerSummaryMissing(worker) { Issue.record("coordinator log: \(coordinatorLogs.all)") } }
        let workerSummary = try #require(worker.wait(seconds: 10), "\(logs.all)").get()
        #expect(workerSummary.ending == .shutdown)
        #expect(workerSummary.announcements >= 2)
        try checkStore(options.storePath, trials: trials)
    }

    @Test("garbage, wrong versions, wrong types and oversized messages do not disturb a study")
    func hostileInput() throws {
        let dir = try runtimeTemporaryDirectory("hostile")
        let trials = runtimeTrials(widths: [5], perWidth: 200)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        options.settings.maxTrialsPerTask = 20
        options.maxBodyBytes = 1 << 20
        let (coordinator, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let workerLogs = RuntimeLogSink()
        var workerOptions = runtimeFastWorkerOptions(endpoint: address, slots: 2, executor: runtimeFakeExecutor(secondsPerTrial: 0.002))
        workerOptions.log = { workerLogs.append($0) }
        let fixedWorkerOptions = workerOptions
        let worker = BackgroundThread("worker") { try WorkerRuntime.run(fixedWorkerOptions) }

        // An attacker on its own DEALER.
        let context = try ZMQContext()
        let attacker = try ZMQSocket(context: context, type: .dealer)
        try attacker.connect(address)
        let codec = WireCodec()
        var generator = SystemRandomNumberGenerator()
        let header = WireCodec.header()
        var attacks: [[[UInt8]]] = [
            [Array("hello".utf8)],
            [WireCodec.header(version: 9), Array("heartbeat".utf8), []],
            [Array("XXXX".utf8) + [0, 1], Array("heartbeat".utf8), []],
            [header, Array("launch_missiles".utf8), []],
            [header, Array("result".utf8), Array("{\"taskID\": 12".utf8)],
            [header, Array("ready".utf8), Array(repeating: 0x7b, count: (1 << 20) + 100)],  // over the body limit
            try codec.encode(.task(TaskAssignment(taskID: TaskID(epoch: 1, serial: 1), studyHash: "x", trials: []))),
            try codec.encode(.result(TaskResult(taskID: TaskID(epoch: 7, serial: 3), studyHash: runtimeStudy.hash,
                                                results: [runtimeFakeResult(TrialID(width: 5, index: 0))], trialSeconds: [1]))),
            try codec.encode(.heartbeat),
            Array(repeating: [1, 2, 3], count: 20),
        ]
        for _ in 0..<200 {
            attacks.append((0..<Int.random(in: 1...4, using: &generator)).map { _ in
                (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            })
        }
        for frames in attacks { _ = try attacker.trySend(frames) }
        // The unknown-worker heartbeat is answered with `reannounce`.
        var reply: [[UInt8]]?
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let frames = try attacker.tryReceive(), (try? codec.decode(frames)) == .reannounce { reply = frames; break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(reply != nil)
        // Larger than the socket's message limit: libzmq drops the message and the connection.
        _ = try attacker.trySend([header, Array("ready".utf8), Array(repeating: 0x7b, count: 2 << 20)])

        let summary = try #require(coordinator.wait(seconds: 60)).get()
        attacker.close()
        #expect(summary.ending == .complete)
        #expect(summary.status.rejectedMessages >= 8)
        #expect(try #require(worker.wait(seconds: 10), "\(workerLogs.all)").get().ending == .shutdown)
        try checkStore(options.storePath, trials: trials)
    }

    @Test("a worker asked to stop hands its tasks back; another worker finishes the study")
    func workerStop() throws {
        let dir = try runtimeTemporaryDirectory("stop")
        let trials = runtimeTrials(widths: [6], perWidth: 120)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        options.settings.maxTrialsPerTask = 5
        let logs = RuntimeLogSink()
        options.log = { logs.append($0) }
        let (coordinator, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let stop = StopFlag()
        var leaving = runtimeFastWorkerOptions(endpoint: address, slots: 2, executor: runtimeFakeExecutor(secondsPerTrial: 0.01))
        leaving.stop = stop
        leaving.identity = "leaving"
        let fixedLeaving = leaving
        let leaver = BackgroundThread("leaver") { try WorkerRuntime.run(fixedLeaving) }
        Thread.sleep(forTimeInterval: 0.3)
        stop.request("SIGTERM (test)")
        let leaverSummary = try #require(leaver.wait(seconds: 20)).get()
        #expect(leaverSummary.ending == .stopped)

        let stayerLogs = RuntimeLogSink()
        var staying = runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor())
        staying.log = { stayerLogs.append($0) }
        let fixedStaying = staying
        let stayer = BackgroundThread("stayer") { try WorkerRuntime.run(fixedStaying) }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete)
        #expect(try #require(stayer.wait(seconds: 10), "\(stayerLogs.all) \(logs.all)").get().ending == .shutdown)
        #expect(logs.all.contains { $0.contains("worker leaving") && $0.contains("left") }, "\(logs.all)")
        try checkStore(options.storePath, trials: trials)
    }

    @Test("workers that take tasks and vanish (crash) lose no trial: their tasks are requeued and finished")
    func crashingWorkers() throws {
        let dir = try runtimeTemporaryDirectory("crash")
        let trials = runtimeTrials(widths: [2, 8], perWidth: 150)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.settings.maxTrialsPerTask = 10
        options.farewellSeconds = 0.5
        let logs = RuntimeLogSink()
        options.log = { logs.append($0) }
        let (coordinator, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let honest = BackgroundThread("honest") {
            try WorkerRuntime.run(runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor(secondsPerTrial: 0.001)))
        }
        // Three "workers" that announce themselves, take their tasks and die without a word.
        let codec = WireCodec()
        let context = try ZMQContext()
        var victims = 0
        for index in 0..<3 {
            let doomed = try ZMQSocket(context: context, type: .dealer)
            try doomed.set(.routingID(Array("doomed-\(index)".utf8)))
            try doomed.connect(address)
            try doomed.send(try codec.encode(.ready(WorkerAnnouncement(credits: 2, slots: 2, host: "test", pid: 1, workerVersion: "doomed"))))
            let deadline = Date().addingTimeInterval(10)
            var gotTask = false
            while Date() < deadline, !gotTask {
                if let frames = try doomed.tryReceive(), case .task? = try? codec.decode(frames) { gotTask = true }
                Thread.sleep(forTimeInterval: 0.001)
            }
            if gotTask { victims += 1 }
            doomed.close()  // crash: no goodbye, no result
        }
        #expect(victims == 3)
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete)
        #expect(summary.status.requeues >= 3)
        #expect(summary.quarantined.isEmpty)
        #expect(logs.all.filter { $0.contains("doomed") && $0.contains("lost") }.count == 3, "\(logs.all)")
        #expect(try #require(honest.wait(seconds: 10)).get().ending == .shutdown)
        try checkStore(options.storePath, trials: trials)
    }

    @Test("a worker that cannot prepare the study leaves instead of failing trials")
    func unpreparableStudy() throws {
        let dir = try runtimeTemporaryDirectory("unpreparable")
        let trials = runtimeTrials(widths: [3], perWidth: 20)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        let logs = RuntimeLogSink()
        options.log = { logs.append($0) }
        let (coordinator, endpoint) = startCoordinator(options)
        let address = try #require(endpoint)
        let broken = runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor(expectedHash: "some other study"))
        let result = try #require(BackgroundThread("broken") { try WorkerRuntime.run(broken) }.wait(seconds: 10))
        #expect(throws: WorkerStudyError.self) { try result.get() }
        let good = BackgroundThread("good") {
            try WorkerRuntime.run(runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor()))
        }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete && summary.quarantined.isEmpty)
        #expect(!logs.all.contains { $0.contains("failed attempt") }, "\(logs.all)")
        #expect(try #require(good.wait(seconds: 10)).get().ending == .shutdown)
        try checkStore(options.storePath, trials: trials)
    }

    @Test("a worker with no coordinator gives up after its limit")
    func workerGivesUp() throws {
        var options = WorkerOptions(endpoint: "tcp://127.0.0.1:1", slots: 1, executor: runtimeFakeExecutor())
        options.giveUpAfterSeconds = 0.3
        let fixed = options
        let summary = try #require(BackgroundThread("lonely") { try WorkerRuntime.run(fixed) }.wait(seconds: 10)).get()
        #expect(summary.ending == .gaveUp)
        #expect(summary.tasksCompleted == 0)
    }

    @Test("resuming a store with another study is refused")
    func studyMismatch() throws {
        let dir = try runtimeTemporaryDirectory("mismatch")
        let store = try StudyStore(path: dir + "/study.sqlite")
        try store.initialize(studyHash: "another-study", resolvedStudyJSON: "{}", version: "test")
        store.close()
        let options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: [])
        #expect(throws: StoreError.self) { _ = try CoordinatorRuntime.run(options) }
    }
}

@Suite("Dispatch benchmark")
struct RuntimeDispatchBenchmarkTests {
    @Test("the dispatch benchmark completes every task and reports consistent numbers")
    func smallRun() throws {
        let dir = try runtimeTemporaryDirectory("bench")
        let result = try DispatchBenchmark.run(tasks: 50, workers: 2, slotsPerWorker: 1, directory: dir)
        #expect(result.tasks == 50 && result.workers == 2)
        #expect(result.seconds > 0)
        #expect(abs(result.tasksPerSecond * result.seconds - 50) < 1e-6)
        let stores = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".sqlite") }
        let store = try StudyStore(path: dir + "/" + stores[0], readOnly: true)
        defer { store.close() }
        #expect(try store.count() == 50)
    }
}

@Suite("Runtime with CURVE")
struct RuntimeCurveTests {
    @Test("with CURVE and an allowlist, an allowed worker completes the study and a stranger is never welcomed")
    func curveAllowlist() throws {
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let dir = try runtimeTemporaryDirectory("curve")
        let trials = runtimeTrials(widths: [3], perWidth: 40)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        options.curve = CoordinatorCurveKeys(publicKey: server.publicKey, secretKey: server.secretKey,
                                             allowedWorkerKeys: [allowed.publicKey])
        let endpoint = LockedValue<String?>(nil)
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let coordinator = BackgroundThread("coordinator") { try CoordinatorRuntime.run(fixed) }
        let address = try #require(endpoint.await(seconds: 10))

        // The stranger knows the server key but is not on the allowlist: refused at the handshake, and told so.
        var strangerOptions = runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor())
        strangerOptions.curve = WorkerCurveKeys(serverPublicKey: server.publicKey, publicKey: stranger.publicKey,
                                                secretKey: stranger.secretKey)
        strangerOptions.giveUpAfterSeconds = 8
        let fixedStranger = strangerOptions
        let strangerRun = BackgroundThread("stranger") { try WorkerRuntime.run(fixedStranger) }
        let strangerResult = try #require(strangerRun.wait(seconds: 15))
        #expect { _ = try strangerResult.get() } throws: { ($0 as? HandshakeRefusal)?.cause == .keyNotAuthorized }

        var workerOptions = runtimeFastWorkerOptions(endpoint: address, slots: 1, executor: runtimeFakeExecutor())
        workerOptions.curve = WorkerCurveKeys(serverPublicKey: server.publicKey, publicKey: allowed.publicKey,
                                              secretKey: allowed.secretKey)
        let fixedWorker = workerOptions
        let worker = BackgroundThread("allowed") { try WorkerRuntime.run(fixedWorker) }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete && summary.status.done == trials.count)
        #expect(try #require(worker.wait(seconds: 10)).get().ending == .shutdown)
    }
}

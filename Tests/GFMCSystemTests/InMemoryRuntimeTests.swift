import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCStudy
import GFMCTransport
import Testing

/// The coordinator runtime and two worker runtimes in one process over `InMemoryRouter` (no sockets), with the
/// real engine and the real SQLite store. The oracle is a serial computation of every trial with no runtime,
/// wire or store. Every wait is bounded.
@Suite("Runtime over the in-memory router", .serialized)
struct InMemoryRuntimeTests {
    static let studyText = TestStudy(name: "systest-in-memory", widths: [10, 100], trials: 60).json

    /// Every trial computed serially with OpenBLAS pinned to one thread, as workers pin it (see
    /// `TaskSizeDeterminism`), in the canonical form used for comparison.
    static func serialOracle(_ study: StudyDescription) throws -> [String] {
        BLASThreads.set(1)
        let executor = try StudyExecutor(study: study)
        return try SystemTests.TaskSizeDeterminism.canonical(try #require(study.trialIDs).map { try executor.run($0) })
    }

    /// The real executor, taking at least `secondsPerTrial` per trial (a slower machine, not a synchronization).
    static func executor(secondsPerTrial: Double = 0) -> ClosureTrialExecutor {
        ClosureTrialExecutor { welcome in
            let executor = try StudyExecutor(studyJSON: welcome.studyJSON, expectedHash: welcome.studyHash)
            return { trial in
                if secondsPerTrial > 0 { Thread.sleep(forTimeInterval: secondsPerTrial) }
                return try executor.run(trial)
            }
        }
    }

    static func options(_ study: StudyDescription, storePath: String, router: InMemoryRouter) throws -> CoordinatorOptions {
        var options = CoordinatorOptions(endpoint: "unused", storePath: storePath,
                                         study: StudyIdentity(hash: study.identityHash, json: study.canonicalJSON),
                                         trials: try #require(study.trialIDs))
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.3
        options.makeTransport = { router }
        return options
    }

    static func workerOptions(secondsPerTrial: Double = 0) -> WorkerOptions {
        var options = runtimeFastWorkerOptions(endpoint: "unused", slots: 1, executor: executor(secondsPerTrial: secondsPerTrial))
        options.giveUpAfterSeconds = 30
        return options
    }

    static func stored(_ path: String) throws -> [TrialResult] {
        let store = try StudyStore(path: path, readOnly: true)
        defer { store.close() }
        return try store.allResults()
    }

    @Test("two workers complete a real study; the store holds every trial once, bit-identical to a serial run")
    func endToEnd() throws {
        let study = try StudyDescription.parse(Self.studyText)
        let oracle = try Self.serialOracle(study)
        let directory = try TemporaryDirectory(prefix: "in-memory-e2e")
        defer { directory.remove() }
        let router = InMemoryRouter(endpoint: "inmemory://e2e")
        let options = try Self.options(study, storePath: directory.file("study.sqlite"), router: router)
        let listening = LockedValue<String?>(nil)
        var fixed = options
        fixed.onListening = { listening.set($0) }
        let coordinatorOptions = fixed
        let ends = try ["a", "b"].map { try router.connect(identity: Array($0.utf8)) }
        let coordinator = BackgroundThread("coordinator") { try CoordinatorRuntime.run(coordinatorOptions) }
        let workers = ends.map { end in
            BackgroundThread("worker") { try WorkerRuntime.run(Self.workerOptions(), transport: end) }
        }
        let summary = try #require(coordinator.wait(seconds: 120), "the coordinator did not finish").get()
        #expect(summary.ending == .complete)
        #expect(summary.endpoint == "inmemory://e2e" && listening.value == "inmemory://e2e")
        #expect(summary.status.done == oracle.count && summary.quarantined.isEmpty)
        var computed = 0
        for worker in workers {
            let ending = try #require(worker.wait(seconds: 30), "a worker did not stop").get()
            #expect(ending.ending == .shutdown)
            computed += ending.trialsCompleted
        }
        #expect(computed >= oracle.count)
        let results = try SystemTests.TaskSizeDeterminism.canonical(Self.stored(options.storePath))
        #expect(results == oracle, "the stored results differ from the serial run")
    }

    @Test("a worker whose connection drops mid-run: the other finishes, every trial stored once, bit-identical")
    func disconnectedWorker() throws {
        let study = try StudyDescription.parse(Self.studyText)
        let oracle = try Self.serialOracle(study)
        let directory = try TemporaryDirectory(prefix: "in-memory-fault")
        defer { directory.remove() }
        let router = InMemoryRouter(endpoint: "inmemory://fault")
        let dropped = try router.connect(identity: Array("dropped".utf8))
        let survivor = try router.connect(identity: Array("survivor".utf8))
        // The connection drops once the store holds at least 10 trials (the progress callback runs on the
        // coordinator's thread after each commit, so `done` counts only stored trials).
        let doneAtDrop = LockedValue<Int?>(nil)
        let logs = RuntimeLogSink()
        var options = try Self.options(study, storePath: directory.file("study.sqlite"), router: router)
        options.progressInterval = 0.005
        options.log = { logs.append($0) }
        options.progress = { status in
            guard status.done >= 10, doneAtDrop.value == nil else { return }
            doneAtDrop.set(status.done)
            dropped.setConnected(false)
        }
        let coordinatorOptions = options
        let coordinator = BackgroundThread("coordinator") { try CoordinatorRuntime.run(coordinatorOptions) }
        var droppedOptions = Self.workerOptions(secondsPerTrial: 0.01)
        droppedOptions.giveUpAfterSeconds = 2  // it never hears the coordinator again
        let fixedDroppedOptions = droppedOptions
        let droppedWorker = BackgroundThread("dropped") { try WorkerRuntime.run(fixedDroppedOptions, transport: dropped) }
        let survivorWorker = BackgroundThread("survivor") {
            try WorkerRuntime.run(Self.workerOptions(secondsPerTrial: 0.01), transport: survivor)
        }

        let summary = try #require(coordinator.wait(seconds: 120), "the coordinator did not finish").get()
        #expect(summary.ending == .complete, "\(logs.all.suffix(20))")
        let atDrop = try #require(doneAtDrop.value, "the connection was never dropped")
        #expect(atDrop < oracle.count, "the study was complete before the connection dropped")
        #expect(summary.status.done == oracle.count && summary.quarantined.isEmpty)
        #expect(logs.all.contains { $0.contains("dropped") && $0.contains("lost") }, "the coordinator never lost the worker")
        let droppedEnding = try #require(droppedWorker.wait(seconds: 30), "the disconnected worker did not stop").get()
        #expect(droppedEnding.ending == .gaveUp)
        let survivorEnding = try #require(survivorWorker.wait(seconds: 30), "the surviving worker did not stop").get()
        #expect(survivorEnding.ending == .shutdown)
        let results = try SystemTests.TaskSizeDeterminism.canonical(Self.stored(options.storePath))
        #expect(results == oracle, "the stored results differ from the serial run")
    }

    @Test("the in-memory router: identities, round robin, unreachable, disconnected and closed peers")
    func routerBasics() throws {
        let router = InMemoryRouter()
        let a = try router.connect(identity: [1], userID: "key-a")
        let b = try router.connect(identity: [2])
        #expect(throws: InMemoryTransportError.identityInUse([1])) { try router.connect(identity: [1]) }
        #expect(try a.trySend([[10]]) && a.trySend([[11]]) && b.trySend([[20]]))
        // Round robin: a, b, then a's second message.
        #expect(try router.receive(timeout: .zero) == .message(peer: [1], frames: [[10]], userID: "key-a"))
        #expect(try router.receive(timeout: .zero) == .message(peer: [2], frames: [[20]], userID: nil))
        #expect(try router.receive(timeout: .zero) == .message(peer: [1], frames: [[11]], userID: "key-a"))
        #expect(try router.receive(timeout: .milliseconds(10)) == nil)
        #expect(try router.send([[30]], to: [2]) == .sent)
        #expect(try b.receive(timeout: .zero) == [[30]])
        #expect(try router.send([[31]], to: [3]) == .unreachable)
        b.setConnected(false)
        #expect(try router.send([[32]], to: [2]) == .unreachable)
        #expect(try !b.trySend([[21]]))
        b.setConnected(true)
        #expect(try router.send([[33]], to: [2]) == .sent)
        b.close(linger: .zero)
        #expect(try router.send([[34]], to: [2]) == .unreachable)
        router.close(linger: .zero)
        #expect(try !a.trySend([[12]]), "a closed router takes nothing")
        #expect(throws: InMemoryTransportError.closed) { try router.receive(timeout: .zero) }
    }
}

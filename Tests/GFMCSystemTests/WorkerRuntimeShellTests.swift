import Foundation
import GFMCConcurrency
import GFMCCoordination
import GFMCModel
import GFMCRuntime
import GFMCStore
import GFMCTransport
import Testing

/// The worker runtime as a shell: over the in-memory transport against a `CoordinatorCore` driven by the
/// test, and over ZeroMQ against the real coordinator runtime, with a study whose preparation takes longer
/// than the coordinator's worker-silence timeout. Every wait is bounded.
@Suite("Worker runtime shell", .serialized)
struct WorkerRuntimeShellTests {
    /// An executor whose `prepare` sleeps `seconds` before returning the fake engine.
    func slowPreparingExecutor(seconds: Double, prepares: LockedValue<Int>) -> ClosureTrialExecutor {
        ClosureTrialExecutor { _ in
            prepares.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: seconds)
            return { runtimeFakeResult($0) }
        }
    }

    @Test("over the in-memory transport, a worker whose study takes 2.5 s to prepare keeps heartbeating: a coordinator core with a 1 s silence timeout never loses it, and every trial is persisted once")
    func slowPreparationInMemory() throws {
        let (coordinatorEnd, workerEnd) = InMemoryTransport.pair()
        let prepares = LockedValue(0)
        var workerOptions = WorkerOptions(endpoint: "in-memory", slots: 2,
                                          executor: slowPreparingExecutor(seconds: 2.5, prepares: prepares))
        workerOptions.heartbeatInterval = 0.2
        workerOptions.coordinatorSilenceTimeout = 3
        workerOptions.giveUpAfterSeconds = 20
        let fixed = workerOptions
        let worker = BackgroundThread("worker") { try WorkerRuntime.run(fixed, transport: workerEnd) }

        let clock = MonotonicClock()
        var settings = CoordinatorSettings()
        settings.heartbeatInterval = 0.2
        settings.workerSilenceTimeout = 1
        settings.targetTaskSeconds = 0.05
        let trials = runtimeTrials(widths: [3, 5], perWidth: 40)
        var core = try CoordinatorCore(study: runtimeStudy, pendingTrials: trials, settings: settings, epoch: 7,
                                       now: clock.now().seconds)
        let codec = WireCodec()
        let id = WorkerID("w")
        var persisted: [TrialID] = []
        var lost: [CoordinatorEvent] = []
        var complete = false
        let deadline = clock.now() + .seconds(30)
        var lastTick = clock.now()
        while !complete, clock.now() < deadline {
            var directives: [Directive] = []
            if let frames = try coordinatorEnd.receive(timeout: .milliseconds(20)) {
                directives += core.onMessage(from: id, try codec.decode(frames), now: clock.now().seconds)
            }
            if clock.now() - lastTick >= .milliseconds(50) {
                lastTick = clock.now()
                directives += core.onTick(now: lastTick.seconds)
            }
            for directive in directives {
                switch directive {
                case .send(_, let message): _ = try coordinatorEnd.trySend(codec.encode(message))
                case .persist(_, _, let results): persisted += results.map(\.id)
                case .log(let event):
                    if case .workerLost = event { lost.append(event) }
                case .studyComplete: complete = true
                case .quarantine: Issue.record("unexpected quarantine")
                }
            }
        }
        for directive in core.shutdownAll(now: clock.now().seconds) {
            if case .send(_, let message) = directive { _ = try coordinatorEnd.trySend(codec.encode(message)) }
        }
        let summary = try #require(worker.wait(seconds: 10)).get()
        #expect(complete)
        #expect(lost.isEmpty, "the worker was declared dead: \(lost)")
        #expect(persisted.sorted() == trials.sorted())
        #expect(prepares.value == 1)
        #expect(summary.ending == .shutdown && summary.announcements == 1)
        #expect(summary.trialsCompleted == trials.count)
        coordinatorEnd.close(linger: .zero)
    }

    @Test("over ZeroMQ, a study whose preparation (4 s) outlasts the coordinator's 3 s silence timeout still completes, and the worker is never declared dead")
    func slowPreparationLoopback() throws {
        let dir = try runtimeTemporaryDirectory("slow-prepare")
        let trials = runtimeTrials(widths: [3, 7], perWidth: 30)
        var options = CoordinatorOptions(endpoint: "tcp://127.0.0.1:0", storePath: dir + "/study.sqlite",
                                         study: runtimeStudy, trials: trials)
        options.settings = runtimeFastCoordinatorSettings()
        options.farewellSeconds = 0.5
        let log = RuntimeLogSink()
        options.log = { log.append($0) }
        let endpoint = LockedValue<String?>(nil)
        options.onListening = { endpoint.set($0) }
        let fixed = options
        let coordinator = BackgroundThread("coordinator") { try CoordinatorRuntime.run(fixed) }
        let address = try #require(endpoint.await(seconds: 10))
        let prepares = LockedValue(0)
        let workerOptions = runtimeFastWorkerOptions(
            endpoint: address, slots: 2, executor: slowPreparingExecutor(seconds: 4, prepares: prepares))
        let worker = BackgroundThread("worker") { try WorkerRuntime.run(workerOptions) }
        let summary = try #require(coordinator.wait(seconds: 60)).get()
        #expect(summary.ending == .complete && summary.status.done == trials.count)
        #expect(!log.all.contains { $0.contains("lost") }, "coordinator log: \(log.all.filter { $0.contains("lost") })")
        let workerSummary = try #require(worker.wait(seconds: 10)).get()
        #expect(workerSummary.ending == .shutdown && workerSummary.announcements == 1)
        #expect(prepares.value == 1)
        let store = try StudyStore(path: options.storePath, readOnly: true)
        defer { store.close() }
        #expect(try store.allResults().map(\.id) == trials.sorted())
    }

    @Test("the worker runtime reads time only from its injected clock: it gives up when a manual clock passes the limit, not before")
    func injectedClock() throws {
        let (coordinatorEnd, workerEnd) = InMemoryTransport.pair()
        let clock = ManualClock()
        var options = WorkerOptions(endpoint: "in-memory", slots: 1, executor: runtimeFakeExecutor())
        options.clock = clock
        options.giveUpAfterSeconds = 100
        let fixed = options
        let worker = BackgroundThread("worker") { try WorkerRuntime.run(fixed, transport: workerEnd) }
        let ready = try coordinatorEnd.receive(timeout: .seconds(5))
        #expect(try ready.map { try WireCodec().decode($0).kind } == .ready)
        #expect(worker.wait(seconds: 0.3) == nil, "real time passing does not make the worker give up")
        clock.advance(by: .seconds(101))
        let summary = try #require(worker.wait(seconds: 5)).get()
        #expect(summary.ending == .gaveUp && summary.announcements >= 1)
        coordinatorEnd.close(linger: .zero)
    }

    @Test("the in-memory transport delivers in order, refuses while disconnected, and wakes a waiting receive")
    func inMemoryTransport() throws {
        let (a, b) = InMemoryTransport.pair()
        #expect(try a.trySend([[1], [2]]))
        #expect(try a.trySend([[3]]))
        #expect(try b.receive(timeout: .zero) == [[1], [2]])
        #expect(try b.receive(timeout: .zero) == [[3]])
        a.setConnected(false)
        #expect(try a.trySend([[4]]) == false)
        #expect(try b.receive(timeout: .milliseconds(10)) == nil)
        let start = ContinuousClock.now
        let waker = BackgroundThread<Void>("waker") { Thread.sleep(forTimeInterval: 0.05); b.wake() }
        #expect(try b.receive(timeout: .seconds(5)) == nil)
        #expect(ContinuousClock.now - start < .seconds(4))
        try waker.wait()
        b.close(linger: .zero)
        #expect(throws: InMemoryTransportError.closed) { try b.receive(timeout: .zero) }
    }
}

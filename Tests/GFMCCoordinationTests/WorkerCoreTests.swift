import GFMCCoordination
import GFMCModel
import Testing

/// Drives a `WorkerCore` with a fake clock, acting as its runtime shell: records what was sent, which jobs
/// were started, and how the run ended.
private struct WorkerHarness {
    var core: WorkerCore
    var now: Double = 0
    var sent: [Message] = []
    var prepares: [String] = []
    /// Jobs handed to engine threads and not yet reported back: job number → task.
    var computing: [Int: TaskAssignment] = [:]
    var events: [WorkerEvent] = []
    var exit: WorkerExit?

    init(slots: Int = 2, configure: (inout WorkerSettings) -> Void = { _ in }) throws {
        var settings = WorkerSettings(slots: slots)
        configure(&settings)
        core = try WorkerCore(settings: settings, announcement: WorkerAnnouncement(
            credits: 99, slots: 99, host: "h", pid: 7, workerVersion: "test"), now: 0)
    }

    mutating func absorb(_ directives: [WorkerDirective]) {
        for directive in directives {
            #expect(exit == nil, "no directive after exit")
            switch directive {
            case .send(let message): sent.append(message)
            case .prepare(let welcome): prepares.append(welcome.studyHash)
            case .compute(let job, let task): computing[job] = task
            case .log(let event): events.append(event)
            case .exit(let ending): exit = ending
            }
        }
        #expect(computing.count <= core.settings.slots)
    }

    mutating func tick(advance: Double = 0) {
        now += advance
        absorb(core.onTick(now: now))
    }

    mutating func receive(_ message: Message, advance: Double = 0) {
        now += advance
        absorb(core.onMessage(message, now: now))
    }

    mutating func prepared(_ hash: String = "s", failure: String? = nil) {
        absorb(core.onPrepared(studyHash: hash, failure: failure, now: now))
    }

    /// Finishes the job computing `task` successfully.
    mutating func finish(_ task: TaskID, advance: Double = 0) {
        now += advance
        guard let (job, assignment) = computing.first(where: { $0.value.taskID == task }) else {
            Issue.record("\(task) is not computing")
            return
        }
        computing[job] = nil
        let results = assignment.trials.map { TrialResult(id: $0, engine: "sampled", method: "flow") }
        absorb(core.onComputed(job: job, .success(results: results, seconds: results.map { _ in 0.1 }), now: now))
    }

    /// Sent messages of one kind since index `from`.
    func sent(_ kind: Message.Kind, from: Int = 0) -> [Message] { sent[from...].filter { $0.kind == kind } }
    var readies: Int { sent(.ready).count }

    /// Announce, welcome to study "s", prepare it.
    mutating func join(hash: String = "s") {
        tick()
        receive(.welcome(StudyWelcome(studyHash: hash, studyJSON: "{}")))
        prepared(hash)
    }
}

private func task(_ serial: UInt64, epoch: UInt64 = 1, hash: String = "s", trials: Int = 2) -> TaskAssignment {
    TaskAssignment(taskID: TaskID(epoch: epoch, serial: serial), studyHash: hash,
                   trials: (0..<trials).map { TrialID(width: 4, index: Int(serial) * 10 + $0) })
}

@Suite("Worker core")
struct WorkerCoreTests {
    @Test("announce → welcome → prepare → tasks compute at most `slots` at once → results carry every trial")
    func happyPath() throws {
        var h = try WorkerHarness(slots: 2)
        h.tick()
        guard case .ready(let announced)? = h.sent.first else { Issue.record("first message is not ready"); return }
        // The default prefetch of one task per slot: credits for 2 computing and 2 queued.
        #expect(announced.credits == 4 && announced.slots == 2 && announced.host == "h")
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        #expect(h.prepares == ["s"])
        for serial in 1...3 { h.receive(.task(task(UInt64(serial)))) }
        #expect(h.computing.isEmpty, "tasks wait until the study is prepared")
        h.prepared()
        #expect(Set(h.computing.values.map(\.taskID.serial)) == [1, 2])
        #expect(h.core.waitingTasks == [TaskID(epoch: 1, serial: 3)])
        h.finish(TaskID(epoch: 1, serial: 1))
        #expect(Set(h.computing.values.map(\.taskID.serial)) == [2, 3])
        h.finish(TaskID(epoch: 1, serial: 2))
        h.finish(TaskID(epoch: 1, serial: 3))
        let results = h.sent(.result).compactMap { if case .result(let r) = $0 { r } else { nil } }
        #expect(results.map(\.taskID.serial) == [1, 2, 3])
        #expect(results.allSatisfy { $0.results.map(\.id) == task($0.taskID.serial).trials && $0.trialSeconds.count == 2 })
        #expect(h.core.counts.tasksCompleted == 3 && h.core.counts.trialsCompleted == 6)
        #expect(h.readies == 1 && h.core.counts.announcements == 1)
    }

    @Test("a heartbeat goes out when nothing was sent for heartbeatInterval, also while the study prepares")
    func heartbeats() throws {
        var h = try WorkerHarness { $0.heartbeatInterval = 1; $0.coordinatorSilenceTimeout = 5 }
        h.tick()
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        #expect(h.core.nextTick() == 1)
        h.tick(advance: 0.5)
        #expect(h.sent(.heartbeat).isEmpty)
        var beats = 0
        for _ in 0..<8 {  // 4 s without the preparation finishing, the coordinator answering heartbeats
            h.tick(advance: 0.5)
            h.receive(.heartbeat)
            beats = h.sent(.heartbeat).count
        }
        #expect(beats == 4)
        #expect(h.readies == 1, "a heard coordinator is not announced to again")
    }

    @Test("coordinator silence → announce again with back-off doubling up to the cap; a welcome resets it")
    func silenceBackoff() throws {
        var h = try WorkerHarness { s in
            s.heartbeatInterval = 1; s.coordinatorSilenceTimeout = 5; s.reannounceBackoffMax = 4
        }
        h.join()
        h.receive(.task(task(1)))
        #expect(h.computing.count == 1)
        var announceTimes: [Double] = []
        for _ in 0..<80 {  // 20 s of silence in 250 ms steps (exact in binary)
            let before = h.readies
            h.tick(advance: 0.25)
            if h.readies > before { announceTimes.append(h.now) }
        }
        // Silent since 0: first re-announce at 5 s, then back-off 2, 4, 4, 4 s.
        #expect(announceTimes == [5, 7, 11, 15, 19])
        #expect(h.core.reannounceBackoff == 4)
        #expect(h.events.contains { if case .coordinatorSilent = $0 { true } else { false } })
        // The old session's running task is forgotten: its result is discarded.
        let results = h.sent(.result).count
        h.finish(TaskID(epoch: 1, serial: 1))
        #expect(h.sent(.result).count == results)
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        #expect(h.core.reannounceBackoff == 1)
        #expect(h.prepares == ["s"], "the same study is not prepared twice")
    }

    @Test("a coordinator restart (reannounce, new session) → announce again and forget the old leases")
    func coordinatorRestart() throws {
        var h = try WorkerHarness(slots: 1)
        h.join()
        h.receive(.task(task(1)))
        h.receive(.task(task(2)))
        #expect(h.core.runningTasks == [TaskID(epoch: 1, serial: 1)])
        h.receive(.reannounce, advance: 1)
        #expect(h.readies == 2)
        #expect(h.core.waitingTasks.isEmpty && h.core.runningTasks.isEmpty)
        #expect(h.core.busySlots == 1, "the old job still occupies its engine thread")
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        h.receive(.task(task(1, epoch: 2)))
        #expect(h.computing.count == 1, "the new task waits for the engine thread")
        h.finish(TaskID(epoch: 1, serial: 1))
        #expect(h.sent(.result).isEmpty, "a result of the old session is not sent")
        #expect(h.computing.values.map(\.taskID) == [TaskID(epoch: 2, serial: 1)])
        h.finish(TaskID(epoch: 2, serial: 1))
        #expect(h.sent(.result).count == 1)
    }

    @Test("a ready the transport could not take is retried; results it could not take are resent in order")
    func sendFailures() throws {
        var h = try WorkerHarness(slots: 2)
        h.tick()
        h.absorb(h.core.onSendFailed(h.sent.removeLast(), now: h.now))
        #expect(h.core.counts.announcements == 0)
        h.tick(advance: 0.01)
        #expect(h.readies == 0, "retried only after sendRetryInterval")
        h.tick(advance: 0.05)
        #expect(h.readies == 1 && h.core.counts.announcements == 1)
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        h.prepared()
        h.receive(.task(task(1)))
        h.receive(.task(task(2)))
        h.finish(TaskID(epoch: 1, serial: 1))
        h.finish(TaskID(epoch: 1, serial: 2))
        let unsent = h.sent.suffix(2)
        h.sent.removeLast(2)
        for message in unsent { h.absorb(h.core.onSendFailed(message, now: h.now)) }
        h.tick(advance: 0.06)
        let results = h.sent(.result).compactMap { if case .result(let r) = $0 { r.taskID.serial } else { nil } }
        #expect(results == [1, 2])
    }

    @Test("tasks for another study fail at once; a cancel drops a waiting task and discards a running one")
    func wrongStudyAndCancel() throws {
        var h = try WorkerHarness(slots: 1)
        h.join()
        h.receive(.task(task(9, hash: "other")))
        guard case .taskFailed(let failure)? = h.sent.last else { Issue.record("no task_failed"); return }
        #expect(failure.taskID.serial == 9 && failure.reason.contains("other"))
        h.receive(.task(task(1)))
        h.receive(.task(task(2)))
        h.receive(.cancel(TaskCancellation(taskID: TaskID(epoch: 1, serial: 2))))
        h.receive(.cancel(TaskCancellation(taskID: TaskID(epoch: 1, serial: 1))))
        h.finish(TaskID(epoch: 1, serial: 1))
        #expect(h.sent(.result).isEmpty && h.computing.isEmpty && h.core.waitingTasks.isEmpty)
    }

    @Test("drain on stop: waiting tasks handed back at once, running ones finished and sent, then goodbye")
    func drainFinishes() throws {
        var h = try WorkerHarness(slots: 1)
        h.join()
        h.receive(.task(task(1)))
        h.receive(.task(task(2)))
        h.absorb(h.core.onStopRequested(reason: "SIGTERM", now: h.now))
        guard case .goodbye(let first)? = h.sent.last else { Issue.record("no goodbye"); return }
        #expect(first.returnedTaskIDs == [TaskID(epoch: 1, serial: 2)])
        #expect(first.finishingTaskIDs == [TaskID(epoch: 1, serial: 1)])
        h.receive(.task(task(3)))
        #expect(h.computing.count == 1, "a task arriving while draining is not computed")
        h.finish(TaskID(epoch: 1, serial: 1), advance: 1)
        #expect(h.sent.suffix(2).map(\.kind) == [.result, .goodbye])
        guard case .goodbye(let last)? = h.sent.last else { return }
        #expect(last.returnedTaskIDs == [TaskID(epoch: 1, serial: 3)] && last.finishingTaskIDs.isEmpty)
        #expect(h.exit == .stopped)
        #expect(h.core.counts.tasksReturned == 2)
        #expect(h.core.onTick(now: h.now + 100).isEmpty && h.core.nextTick() == .infinity)
    }

    @Test("drain on stop: after the grace period the running tasks are handed back")
    func drainGrace() throws {
        var h = try WorkerHarness(slots: 1) { $0.shutdownGraceSeconds = 3 }
        h.join()
        h.receive(.task(task(1)))
        h.absorb(h.core.onStopRequested(reason: "SIGTERM", now: h.now))
        #expect(h.core.nextTick() <= 3)
        for _ in 0..<59 { h.tick(advance: 0.05); h.receive(.heartbeat) }
        #expect(h.exit == nil)
        h.tick(advance: 0.06)
        guard case .goodbye(let last)? = h.sent.last else { Issue.record("no final goodbye"); return }
        #expect(last.returnedTaskIDs == [TaskID(epoch: 1, serial: 1)])
        #expect(h.exit == .stopped)
    }

    @Test("a stop before any welcome exits at once without goodbye")
    func stopBeforeWelcome() throws {
        var h = try WorkerHarness()
        h.tick()
        h.absorb(h.core.onStopRequested(reason: "SIGINT", now: 0))
        #expect(h.exit == .stopped && h.sent(.goodbye).isEmpty)
    }

    @Test("a study that cannot be prepared: goodbye handing back the waiting tasks, then exit naming the reason")
    func unpreparable() throws {
        var h = try WorkerHarness()
        h.tick()
        h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
        h.receive(.task(task(1)))
        h.prepared("s", failure: "data file missing")
        guard case .goodbye(let goodbye)? = h.sent.last else { Issue.record("no goodbye"); return }
        #expect(goodbye.returnedTaskIDs == [TaskID(epoch: 1, serial: 1)])
        #expect(h.exit == .studyUnpreparable(studyHash: "s", reason: "data file missing"))
    }

    @Test("shutdown and refused end the run; silence ends it after giveUpAfterSeconds")
    func endings() throws {
        var a = try WorkerHarness()
        a.join()
        a.receive(.shutdown)
        #expect(a.exit == .shutdown)
        var b = try WorkerHarness()
        b.tick()
        b.receive(.refused(WorkerRefusal(reason: String(repeating: "x", count: 3000))))
        #expect(b.exit == .refused(reason: String(repeating: "x", count: 2000)))
        var c = try WorkerHarness { $0.giveUpAfterSeconds = 2 }
        c.tick()
        for _ in 0..<39 { c.tick(advance: 0.05) }
        #expect(c.exit == nil)
        c.tick(advance: 0.06)
        #expect(c.exit == .gaveUp)
    }

    @Test("undecodable frames are logged ten times, then every thousandth, and do not count as hearing")
    func undecodable() throws {
        var h = try WorkerHarness { $0.giveUpAfterSeconds = 1 }
        for _ in 0..<2000 { h.absorb(h.core.onUndecodable(detail: "bad", now: 0.5)) }
        #expect(h.events.count == 12)
        h.tick(advance: 1)
        #expect(h.exit == .gaveUp)
    }

    @Test("invalid settings are refused, naming the field")
    func invalidSettings() {
        #expect(throws: WorkerSettingsError.self) { try WorkerSettings(slots: 0).validate() }
        var settings = WorkerSettings(slots: 1)
        settings.heartbeatInterval = .nan
        let error = #expect(throws: WorkerSettingsError.self) { try settings.validate() }
        #expect(error?.message.contains("heartbeatInterval") == true)
        for prefetch in [-1, WorkerSettings.maxPrefetchPerSlot + 1] {
            var settings = WorkerSettings(slots: 1)
            settings.prefetchPerSlot = prefetch
            let error = #expect(throws: WorkerSettingsError.self) { try settings.validate() }
            #expect(error?.message.contains("prefetch") == true)
        }
    }

    @Test("prefetch: credits = slots × (1 + prefetch); queued tasks start in arrival order as slots free up")
    func prefetchQueuesTasksForFreeSlots() throws {
        for prefetch in 0...WorkerSettings.maxPrefetchPerSlot {
            var h = try WorkerHarness(slots: 2) { $0.prefetchPerSlot = prefetch }
            h.tick()
            guard case .ready(let announced)? = h.sent.first else { Issue.record("first message is not ready"); return }
            #expect(announced.credits == 2 * (1 + prefetch) && announced.slots == 2)
            h.receive(.welcome(StudyWelcome(studyHash: "s", studyJSON: "{}")))
            h.prepared()
            let credits = UInt64(announced.credits)
            for serial in 1...credits { h.receive(.task(task(serial))) }
            #expect(h.computing.count == 2, "never more computing than slots")
            #expect(h.core.waitingTasks.map(\.serial) == (1...credits).filter { $0 > 2 })
            for serial in 1...credits {
                h.finish(TaskID(epoch: 1, serial: serial))
                let next = (1...credits).filter { $0 > serial && $0 <= serial + 2 }
                #expect(Set(h.computing.values.map(\.taskID.serial)) == Set(next), "after task \(serial)")
            }
            let results = h.sent(.result).compactMap { if case .result(let r) = $0 { r } else { nil } }
            #expect(results.map(\.taskID.serial) == Array(1...credits))
        }
    }
}

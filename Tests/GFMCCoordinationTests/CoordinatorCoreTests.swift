import GFMCCoordination
import GFMCModel
import GFMCTestSupport
import Testing

@Suite("Coordinator core")
struct CoordinatorCoreTests {
    @Test("two workers complete a study; every trial persisted exactly once; completion announced once")
    func happyPath() throws {
        let all = trials(widths: [4, 16], perWidth: 10)
        var h = try Harness(pending: all)
        h.join("a", credits: 2)
        h.join("b", credits: 1)
        #expect(h.sentMessages(to: "a").first.map { if case .welcome(let w) = $0 { w.studyHash == testStudy.hash } else { false } } == true)
        h.drain(["a", "b"])
        #expect(h.persisted.count == all.count)
        #expect(Set(h.persisted) == Set(all))
        #expect(h.completions.count == 1)
        #expect(h.completions.first?.done == all.count)
        #expect(h.core.isComplete)
        h.tick(advance: 0.5)
        #expect(h.completions.count == 1)
    }

    @Test("tasks go out by width then index, one width per task")
    func ordering() throws {
        let all = trials(widths: [32, 8], perWidth: 3).shuffled(using: &SeededGeneratorBox.shared)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 2
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        var order: [[TrialID]] = []
        for _ in 0..<20 {
            guard let task = h.held[WorkerID("a")]?.first else { break }
            order.append(task.trials)
            h.finishOne("a")
        }
        #expect(order.flatMap { $0 } == all.sorted())
        #expect(order.allSatisfy { Set($0.map(\.width)).count == 1 })
    }

    @Test("a silent worker is declared dead; its tasks are completed by another worker")
    func workerDeath() throws {
        let all = trials(widths: [4], perWidth: 12)
        var h = try Harness(pending: all)
        h.join("a", credits: 2)
        h.join("b", credits: 1)
        h.finishOne("b")
        let lost = h.held[WorkerID("a")]!.flatMap(\.trials)
        #expect(!lost.isEmpty)
        // b keeps talking, a says nothing for more than 5 s.
        for _ in 0..<6 {
            h.tick(advance: 1)
            h.deliver(.heartbeat, from: "b")
        }
        #expect(h.events.contains { if case .workerLost(WorkerID("a"), _, 2) = $0 { true } else { false } })
        #expect(h.core.liveWorkers == [WorkerID("b")])
        h.held[WorkerID("a")] = nil
        h.drain(["b"])
        #expect(h.persisted.sorted() == all)
        #expect(h.completions.count == 1)
        #expect(h.core.status(now: h.now).requeues == 2)
    }

    @Test("an unreachable worker (send failed) is treated as dead")
    func sendFailed() throws {
        let all = trials(widths: [4], perWidth: 6)
        var h = try Harness(pending: all)
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        h.absorb(h.core.onSendFailed(to: WorkerID("a"), now: h.now))
        #expect(h.core.liveWorkers == [WorkerID("b")])
        h.held[WorkerID("a")] = nil
        h.drain(["b"])
        #expect(h.persisted.sorted() == all)
    }

    @Test("an expired lease of a proven worker is cancelled and requeued as a failed attempt; the late result is rejected")
    func leaseExpiry() throws {
        var settings = CoordinatorSettings()
        settings.unmeasuredLease = 20
        let warmUp = TrialID(width: 2, index: 0)
        let all = [warmUp] + trials(widths: [4], perWidth: 2)
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        // One result first: a lost lease counts as a failed attempt only for a peer that returned results.
        h.finishOne("a")
        let stuck = h.held[WorkerID("a")]!.first!
        // The worker stays alive (heartbeats) but never finishes.
        for _ in 0..<19 { h.tick(advance: 1); h.deliver(.heartbeat, from: "a") }
        #expect(!h.events.contains { if case .leaseExpired = $0 { true } else { false } })
        h.tick(advance: 1)
        #expect(h.events.contains(.leaseExpired(stuck.taskID, worker: WorkerID("a"))))
        #expect(h.sentMessages(to: "a").contains(.cancel(TaskCancellation(taskID: stuck.taskID))))
        // Its credit came back: the trials are handed out again, one per task (a failed attempt).
        let retried = h.held[WorkerID("a")]!
        #expect(retried.allSatisfy { $0.trials.count == 1 })
        #expect(h.core.outstandingTasks(of: WorkerID("a")) == 1)
        // The late result for the expired task is rejected, not persisted.
        h.deliver(resultMessage(stuck), from: "a")
        #expect(h.rejections(of: "a") == [.leaseRevoked(stuck.taskID)])
        #expect(h.persisted == [warmUp])
        h.drain(["a"])
        #expect(h.persisted.sorted() == all)
    }

    @Test("a late duplicate for a completed task is dropped")
    func lateDuplicate() throws {
        let all = trials(widths: [4], perWidth: 4)
        var h = try Harness(pending: all)
        h.join("a", credits: 1)
        let task = h.held[WorkerID("a")]!.first!
        h.finishOne("a")
        let persistedBefore = h.persisted
        h.deliver(resultMessage(task), from: "a")
        #expect(h.persisted == persistedBefore)
        #expect(h.events.contains(.duplicateDropped(task.taskID, worker: WorkerID("a"))))
        #expect(h.core.status(now: h.now).duplicatesDropped == 1)
        h.drain(["a"])
        #expect(h.persisted.sorted() == all)
    }

    @Test("a dead worker that comes back with an old result is made to re-announce; its result is not counted twice")
    func zombieWorker() throws {
        let all = trials(widths: [4], perWidth: 4)
        var h = try Harness(pending: all)
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        let zombieTask = h.held[WorkerID("a")]!.first!
        h.held[WorkerID("a")] = nil
        for _ in 0..<6 { h.tick(advance: 1); h.deliver(.heartbeat, from: "b") }
        h.drain(["b"])
        #expect(h.persisted.sorted() == all)
        h.deliver(resultMessage(zombieTask), from: "a")
        #expect(h.rejections(of: "a") == [.unknownWorker(type: "result")])
        #expect(h.sentMessages(to: "a").last == .reannounce)
        h.join("a", credits: 1)
        h.deliver(resultMessage(zombieTask), from: "a")
        #expect(h.rejections(of: "a").last == .leaseRevoked(zombieTask.taskID))
        #expect(h.persisted.sorted() == all)
    }

    @Test("a result from a worker that does not hold the lease is rejected; the holder's result counts")
    func wrongWorker() throws {
        let all = trials(widths: [4], perWidth: 2)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 2
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        let task = h.held[WorkerID("a")]!.first!
        #expect(h.held[WorkerID("b")] == nil)  // only one task of 2 trials exists
        h.deliver(resultMessage(task), from: "b")
        #expect(h.rejections(of: "b") == [.notLeaseHolder(task.taskID, holder: WorkerID("a"))])
        #expect(h.persisted.isEmpty)
        #expect(h.core.leasedTrials(of: task.taskID) == task.trials)
        h.finishOne("a")
        #expect(h.persisted.sorted() == all)
    }

    @Test("wrong study hash and wrong trial set are rejected; a wrong set counts as a failed attempt")
    func invalidResults() throws {
        let all = trials(widths: [4], perWidth: 4)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 2
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        let task = h.held[WorkerID("a")]!.removeFirst()
        h.deliver(resultMessage(task, hash: "other-study"), from: "a")
        #expect(h.rejections(of: "a") == [.wrongStudy(expected: testStudy.hash, received: "other-study")])
        #expect(h.core.leasedTrials(of: task.taskID) != nil)  // lease untouched

        var wrong = task
        wrong.trials = [task.trials[0], TrialID(width: 4, index: 3)]
        h.deliver(resultMessage(wrong), from: "a")
        guard case .wrongTrialSet(task.taskID, _)? = h.rejections(of: "a").last else {
            Issue.record("expected a wrong-trial-set rejection"); return
        }
        #expect(h.core.leasedTrials(of: task.taskID) == nil)
        #expect(h.events.contains(.taskRequeued(task.taskID, trials: 2, failed: true)))

        // Misaligned timings are rejected too.
        let next = h.held[WorkerID("a")]!.removeFirst()
        h.deliver(.result(TaskResult(taskID: next.taskID, studyHash: testStudy.hash,
                                     results: next.trials.map(fakeResult), trialSeconds: [])), from: "a")
        guard case .wrongTrialSet? = h.rejections(of: "a").last else { Issue.record("expected rejection"); return }
        h.drain(["a"])
        #expect(h.persisted.sorted() == all)
        #expect(h.quarantines.isEmpty)
    }

    @Test("a poison trial is isolated and quarantined after maxAttempts; its task-mates complete")
    func poisonTrial() throws {
        let all = trials(widths: [4], perWidth: 6)
        let poison = TrialID(width: 4, index: 2)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 3
        settings.maxAttempts = 3
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        var rounds = 0
        while rounds < 100, !h.core.isComplete {
            rounds += 1
            for w in ["a", "b"] {
                guard let task = h.held[WorkerID(w)]?.first else { continue }
                h.held[WorkerID(w)]!.removeFirst()
                if task.trials.contains(poison) {
                    h.deliver(.taskFailed(TaskFailure(taskID: task.taskID, reason: "segfault in \(poison)")), from: w)
                } else {
                    h.deliver(resultMessage(task), from: w)
                }
            }
        }
        #expect(h.core.isComplete)
        #expect(h.persisted.sorted() == all.filter { $0 != poison })
        #expect(h.quarantines.count == 1)
        let report = try #require(h.quarantines.first)
        #expect(report.trial == poison)
        #expect(report.failures.count == 3)
        #expect(report.failures.allSatisfy { $0.reason == "segfault in \(poison)" && ["a:42", "b:42"].contains($0.workerAddress) })
        #expect(Set(report.failures.compactMap(\.peer)) == ["host a", "host b"])
        #expect(h.core.quarantined == [poison])
        let status = h.core.status(now: h.now)
        #expect(status.quarantined == 1 && status.done == 5 && status.complete)
        // After the first failure, the poison trial only ever travelled alone.
        let poisonTasks = h.sent.compactMap { if case .task(let t) = $0.1, t.trials.contains(poison) { t } else { nil } }
        #expect(poisonTasks.count == 3)
        #expect(poisonTasks.dropFirst().allSatisfy { $0.trials == [poison] })
        #expect(h.completions.count == 1)
    }

    @Test("a worker that joins mid-run gets work at once and the study completes exactly once")
    func joinMidRun() throws {
        let all = trials(widths: [4, 8], perWidth: 10)
        var h = try Harness(pending: all)
        h.join("a", credits: 1)
        for _ in 0..<3 { h.finishOne("a", secondsPerTrial: 0.5) }  // tasks of ≈ 2 trials
        h.join("late", credits: 2)
        #expect(h.core.outstandingTasks(of: WorkerID("late")) == 2)
        h.drain(["a", "late"])
        #expect(h.persisted.sorted() == all)
        #expect(Set(h.persisted).count == h.persisted.count)
        #expect(h.sentMessages(to: "late").contains { if case .task = $0 { true } else { false } })
    }

    @Test("a restarted coordinator completes only the trials missing from the store")
    func restart() throws {
        let all = trials(widths: [4, 8], perWidth: 10)
        var first = try Harness(pending: all, epoch: 111)
        first.join("a", credits: 2)
        for _ in 0..<3 { first.finishOne("a") }
        let store = Set(first.persisted)
        #expect(!store.isEmpty && store.count < all.count)
        let inFlight = first.held[WorkerID("a")]!  // the coordinator dies with these leased

        // A new coordinator over the store's remaining trials, with a new epoch.
        var second = try Harness(pending: all.filter { !store.contains($0) }, epoch: 222, alreadyDone: store.count)
        #expect(second.core.status(now: 0).done == store.count)
        // The worker keeps working and sends its old result: the new coordinator does not know it.
        second.deliver(resultMessage(inFlight[0]), from: "a")
        #expect(second.rejections(of: "a") == [.unknownWorker(type: "result")])
        #expect(second.sentMessages(to: "a") == [.reannounce])
        second.join("a", credits: 2)
        second.deliver(resultMessage(inFlight[0]), from: "a")
        #expect(second.rejections(of: "a").last == .unknownTask(inFlight[0].taskID))
        second.drain(["a"])
        #expect(Set(second.persisted).isDisjoint(with: store))
        #expect(Set(second.persisted).union(store) == Set(all))
        #expect(second.persisted.count + store.count == all.count)
        #expect(second.completions.first?.done == all.count)
        #expect(second.completions.first?.total == all.count)
    }

    @Test("a restarted coordinator with nothing left announces completion on its first tick")
    func restartWhenDone() throws {
        var h = try Harness(pending: [], alreadyDone: 10)
        h.tick()
        #expect(h.completions.count == 1)
        #expect(h.completions.first?.done == 10)
    }

    @Test("goodbye hands tasks back without counting a failure")
    func goodbye() throws {
        let all = trials(widths: [4], perWidth: 6)
        var h = try Harness(pending: all)
        h.join("a", credits: 2)
        let returned = h.held[WorkerID("a")]!.map(\.taskID)
        h.held[WorkerID("a")] = nil
        h.deliver(.goodbye(WorkerGoodbye(returnedTaskIDs: returned)), from: "a")
        #expect(h.core.liveWorkers.isEmpty)
        #expect(h.events.contains(.workerLeft(WorkerID("a"), requeuedTasks: 2)))
        h.join("b", credits: 1)
        // Not failed attempts: tasks keep their batch size rather than being split.
        #expect(h.held[WorkerID("b")]!.first!.trials.count == 2)
        h.drain(["b"])
        #expect(h.persisted.sorted() == all)
    }

    @Test("a leaving worker finishes what it keeps, gets nothing new, and is removed by its last goodbye")
    func leavingWorker() throws {
        let all = trials(widths: [4], perWidth: 12)
        var h = try Harness(pending: all)
        h.join("a", credits: 2)
        let held = h.held[WorkerID("a")]!
        #expect(held.count == 2)
        h.deliver(.goodbye(WorkerGoodbye(returnedTaskIDs: [held[1].taskID], finishingTaskIDs: [held[0].taskID])), from: "a")
        #expect(h.events.contains(.workerLeaving(WorkerID("a"), requeuedTasks: 1, finishing: 1)))
        #expect(h.events.contains(.taskRequeued(held[1].taskID, trials: held[1].trials.count, failed: false)))
        let tasksBefore = h.held[WorkerID("a")]!.count
        h.finishOne("a")  // its running task's result is accepted
        #expect(Set(h.persisted) == Set(held[0].trials))
        #expect(h.held[WorkerID("a")]!.count == tasksBefore - 1)  // and no new task came
        #expect(h.rejections(of: "a").isEmpty)
        h.deliver(.goodbye(WorkerGoodbye(returnedTaskIDs: [])), from: "a")
        #expect(h.events.contains(.workerLeft(WorkerID("a"), requeuedTasks: 0)))
        #expect(h.core.liveWorkers.isEmpty)
        h.deliver(.goodbye(WorkerGoodbye(returnedTaskIDs: [])), from: "a")  // a repeat is ignored
        #expect(h.rejections(of: "a").isEmpty)
        h.join("b", credits: 1)
        h.drain(["b"])
        #expect(h.persisted.sorted() == all)
        #expect(h.quarantines.isEmpty)
    }

    @Test("a task that could not be delivered is requeued without counting a failed attempt")
    func undeliveredTask() throws {
        let warmUp = TrialID(width: 2, index: 0)
        let all = [warmUp] + trials(widths: [4], perWidth: 4)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 2
        settings.initialCredits = 1
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 2)
        // One result first (a proven peer), which also opens the credit window to 2.
        h.finishOne("a")
        let held = h.held[WorkerID("a")]!
        h.held[WorkerID("a")] = nil
        // The first task reached the worker (which then died); the second could not be sent.
        h.absorb(h.core.onSendFailed(to: WorkerID("a"), undelivered: [.task(held[1])], now: h.now))
        #expect(h.events.contains(.taskRequeued(held[0].taskID, trials: held[0].trials.count, failed: true)))
        #expect(h.events.contains(.taskRequeued(held[1].taskID, trials: held[1].trials.count, failed: false)))
        h.join("b", credits: 1)
        var sizes: [Int] = []
        for _ in 0..<10 {
            guard let task = h.held[WorkerID("b")]?.first else { break }
            sizes.append(task.trials.count)
            h.finishOne("b")
        }
        // Only the delivered task's trials are retried alone (a failed attempt); the undelivered
        // ones went back to the ordinary queue.
        #expect(Array(sizes.prefix(held[0].trials.count)) == Array(repeating: 1, count: held[0].trials.count))
        #expect(h.quarantines.isEmpty)
        #expect(h.persisted.sorted() == all)
    }

    @Test("heartbeats go out after a quiet interval and only then")
    func heartbeats() throws {
        var h = try Harness(pending: [])
        h.join("a", credits: 1)
        h.sent.removeAll()
        h.tick(advance: 0.5)
        #expect(h.sentMessages(to: "a").isEmpty)
        h.deliver(.heartbeat, from: "a")
        h.tick(advance: 0.5)
        #expect(h.sentMessages(to: "a") == [.heartbeat])
        h.tick(advance: 0.5)
        #expect(h.sentMessages(to: "a") == [.heartbeat])
        h.deliver(.heartbeat, from: "a")
        h.tick(advance: 0.5)
        #expect(h.sentMessages(to: "a") == [.heartbeat, .heartbeat])
        #expect(h.core.liveWorkers == [WorkerID("a")])
    }

    @Test("task size follows measured trial time toward the target, clamped, and shrinks at the tail")
    func sizing() throws {
        let all = trials(widths: [4], perWidth: 2000)
        var settings = CoordinatorSettings()
        settings.targetTaskSeconds = 1
        settings.maxTrialsPerTask = 300
        settings.timingSmoothing = 1
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        #expect(h.held[WorkerID("a")]!.first!.trials.count == settings.initialTrialsPerTask)
        h.finishOne("a", secondsPerTrial: 0.02)
        #expect(h.core.measuredSecondsPerTrial(width: 4) == 0.02)
        #expect(h.held[WorkerID("a")]!.first!.trials.count == 50)
        h.finishOne("a", secondsPerTrial: 0.0001)
        #expect(h.held[WorkerID("a")]!.first!.trials.count == 300)  // clamped at max
        h.finishOne("a", secondsPerTrial: 5)
        #expect(h.held[WorkerID("a")]!.first!.trials.count == 1)  // clamped at min
        // Tail: with 10 trials left and 4 credits, tasks hold at most ⌈10/4⌉ = 3.
        var tail = try Harness(pending: trials(widths: [4], perWidth: 10), settings: settings)
        tail.join("x", credits: 2)
        tail.finishOne("x", secondsPerTrial: 0.001)
        tail.join("y", credits: 2)
        #expect(tail.core.trialsPerTask(width: 4) <= 3)
        tail.drain(["x", "y"])
        #expect(tail.persisted.sorted() == trials(widths: [4], perWidth: 10))
    }

    @Test("status reports rate and ETA from the completion window")
    func status() throws {
        let all = trials(widths: [4], perWidth: 40)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 4
        settings.rateWindow = 10
        var h = try Harness(pending: all, settings: settings)
        h.join("a", credits: 1)
        for _ in 0..<5 {
            h.tick(advance: 1)
            h.deliver(resultMessage(h.held[WorkerID("a")]!.removeFirst(), secondsPerTrial: 0.25), from: "a")
        }
        let status = h.core.status(now: h.now)
        #expect(status.done == 20 && status.total == 40)
        #expect(status.trialsPerSecond == 4)
        #expect(status.etaSeconds == 5)
        #expect(status.inFlight == 4 && status.queued == 16)
        #expect(status.workersAlive == 1 && status.creditsAlive == 1)
        #expect(!status.complete)
    }

    @Test("addTrials extends a finished study and it completes again")
    func addTrials() throws {
        var h = try Harness(pending: trials(widths: [4], perWidth: 3))
        h.join("a", credits: 1)
        h.drain(["a"])
        #expect(h.completions.count == 1)
        let more = (3..<6).map { TrialID(width: 4, index: $0) }
        h.absorb(h.core.addTrials(more + [TrialID(width: 4, index: 0)], now: h.now))  // index 0 is known
        h.drain(["a"])
        #expect(h.persisted.sorted() == trials(widths: [4], perWidth: 6))
        #expect(h.completions.count == 2)
        #expect(h.completions.last?.total == 6)
    }

    @Test("messages a worker must not send, and bad announcements, are rejected")
    func unexpectedMessages() throws {
        var h = try Harness(pending: trials(widths: [4], perWidth: 2))
        h.deliver(.ready(announcement(credits: 0)), from: "z")
        #expect(h.core.liveWorkers.isEmpty)
        h.join("a", credits: 1)
        h.deliver(.shutdown, from: "a")
        h.deliver(.task(TaskAssignment(taskID: TaskID(epoch: 1, serial: 1), studyHash: "h", trials: [])), from: "a")
        #expect(h.rejections(of: "a").count == 2)
        h.absorb(h.core.onUndecodable(from: WorkerID("a"), error: .wrongFrameCount(1), now: h.now))
        #expect(h.core.status(now: h.now).rejectedMessages == 4)
        h.drain(["a"])
        #expect(h.persisted.count == 2)
    }

    @Test("invalid settings are refused with the field's name")
    func settingsValidation() {
        var settings = CoordinatorSettings()
        settings.maxAttempts = 0
        #expect(throws: CoordinatorSettingsError.self) { try settings.validate() }
        do {
            try settings.validate()
        } catch {
            #expect(error.field == "maxAttempts")
        }
        settings = CoordinatorSettings()
        settings.workerSilenceTimeout = 0.5
        #expect(throws: CoordinatorSettingsError.self) {
            _ = try CoordinatorCore(study: testStudy, pendingTrials: [], settings: settings, epoch: 1, now: 0)
        }
    }
}

/// A shared seeded generator for shuffles in tests that only need "some fixed permutation".
enum SeededGeneratorBox {
    nonisolated(unsafe) static var shared = SeededGenerator(seed: 99)
}

@Suite("Status formatting")
struct StatusFormattingTests {
    @Test("the progress line shows counts, rate, ETA and health")
    func progressLine() {
        let status = CoordinatorStatus(studyHash: "h", total: 2000, done: 1234, inFlight: 12, queued: 754,
                                       requeues: 2, quarantined: 0, workersAlive: 3, creditsAlive: 6,
                                       trialsPerSecond: 85.24, etaSeconds: 185, elapsedSeconds: 14,
                                       tasksIssued: 50, rejectedMessages: 0, duplicatesDropped: 0, complete: false)
        #expect(status.progressLine == "1234/2000 trials (61.7%) · 85.2 trials/s · ETA 3 min 5 s · 3 workers · 12 in flight · 2 requeues · 0 quarantined")
        #expect(CoordinatorStatus.duration(7322) == "2 h 2 min")
        #expect(CoordinatorStatus.duration(.nan) == "?")
        #expect(CoordinatorStatus.duration(0.42) == "0.4 s")
        #expect(CoordinatorStatus.duration(42) == "42 s")
    }
}

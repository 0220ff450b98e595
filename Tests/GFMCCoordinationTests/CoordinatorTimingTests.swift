import GFMCCoordination
import GFMCModel
import Testing

/// The core's farewell after `shutdownAll` and its `nextTick()`. Expected times are computed by hand from
/// the settings (all chosen as binary-exact values, so the comparisons are exact).
@Suite("Coordinator core: farewell and next tick")
struct CoordinatorTimingTests {
    private func settings(heartbeat: Double = 1, silence: Double = 5, lease: Double = 600) -> CoordinatorSettings {
        var settings = CoordinatorSettings()
        settings.heartbeatInterval = heartbeat
        settings.workerSilenceTimeout = silence
        settings.unmeasuredLease = lease
        settings.minimumLease = min(lease, 10)
        settings.tickSpacing = 0.125
        settings.farewellSeconds = 3
        return settings
    }

    private func timedDecisions(_ h: Harness, since count: Int) -> [String] {
        var decisions: [String] = []
        for (worker, message) in h.sent.dropFirst(count) where message == .heartbeat || message.typeName == "cancel" {
            decisions.append("\(message.typeName) to \(worker)")
        }
        return decisions
    }

    @Test("after shutdownAll every worker that talks gets one shutdown, no result is accepted, and the farewell ends on time")
    func farewell() throws {
        var h = try Harness(pending: trials(widths: [2], perWidth: 8), settings: settings())
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        #expect(h.held[WorkerID("a")]?.count == 1 && h.held[WorkerID("b")]?.count == 1)
        h.now = 5
        let goodbyes = h.core.shutdownAll(now: h.now)
        #expect(goodbyes.count == 2)
        for case .send(let worker, let message) in goodbyes { #expect(message == .shutdown, "\(worker)") }
        #expect(h.core.farewellEnds == 8)
        #expect(h.core.nextTick() == 8)

        // A result during the farewell: answered with shutdown, not persisted, not counted.
        h.now = 6
        let task = h.held[WorkerID("a")]!.removeFirst()
        let answer = h.core.onMessage(from: WorkerID("a"), resultMessage(task), now: h.now)
        #expect(answer.count == 1)
        if case .send(WorkerID("a"), .shutdown)? = answer.first {} else { Issue.record("expected shutdown to a, got \(answer)") }
        #expect(h.core.completed.isEmpty && h.core.status(now: h.now).done == 0)
        // Once per worker: a's next message gets nothing; b and an unknown worker get their one shutdown.
        #expect(h.core.onMessage(from: WorkerID("a"), .heartbeat, now: 6.5).isEmpty)
        let toB = h.core.onMessage(from: WorkerID("b"), .heartbeat, now: 6.5)
        if toB.count == 1, case .send(WorkerID("b"), .shutdown)? = toB.first {} else { Issue.record("expected shutdown to b, got \(toB)") }
        let toC = h.core.onMessage(from: WorkerID("c"), .ready(announcement(credits: 4, host: "c")), now: 7)
        if toC.count == 1, case .send(WorkerID("c"), .shutdown)? = toC.first {} else { Issue.record("expected shutdown to c, got \(toC)") }
        #expect(h.core.onMessage(from: WorkerID("c"), .heartbeat, now: 7.25).isEmpty)
        // Garbage, send failures and ticks change nothing.
        #expect(h.core.onUndecodable(from: WorkerID("d"), error: .oversizedBody(bytes: 1, limit: 0), now: 7.5).isEmpty)
        #expect(h.core.onSendFailed(to: WorkerID("b"), undelivered: [.shutdown], now: 7.5).isEmpty)
        #expect(h.core.onTick(now: 7.75).isEmpty)
        #expect(h.core.status(now: 7.75).rejectedMessages == 0)

        #expect(!h.core.isFarewellOver(now: 7.875))
        #expect(h.core.isFarewellOver(now: 8))
        // After the farewell nobody is answered, not even a worker never answered before.
        #expect(h.core.onMessage(from: WorkerID("e"), .heartbeat, now: 8).isEmpty)
        #expect(h.core.completed.isEmpty)
    }

    @Test("no farewell before shutdownAll; a second shutdownAll keeps the first end")
    func farewellStartsOnce() throws {
        var h = try Harness(pending: [], settings: settings())
        h.join("a", credits: 1)
        #expect(h.core.farewellEnds == nil && !h.core.isFarewellOver(now: 1000))
        _ = h.core.shutdownAll(now: 1)
        _ = h.core.shutdownAll(now: 2)
        #expect(h.core.farewellEnds == 4)
    }

    @Test("nextTick is the next heartbeat, then the silence deadline; ticking earlier decides nothing timed")
    func heartbeatAndSilence() throws {
        var h = try Harness(pending: [], settings: settings(heartbeat: 1, silence: 5))
        #expect(h.core.nextTick() == .infinity, "no worker: nothing is timed")
        h.now = 0.5
        h.join("a", credits: 1)  // welcome sent at 0.5: heartbeat due at 1.5, silence at 5.5
        #expect(h.core.nextTick() == 1.5)
        var count = h.sent.count
        h.tick(advance: 0.25)  // 0.75: before nextTick
        #expect(timedDecisions(h, since: count).isEmpty)
        #expect(h.core.nextTick() == 1.5)
        count = h.sent.count
        h.now = 1.5
        h.tick()
        #expect(timedDecisions(h, since: count) == ["heartbeat to a"])
        #expect(h.core.nextTick() == 2.5)
        // The worker speaks at 2: its silence deadline moves to 7, heartbeats stay due every second.
        h.now = 2
        h.deliver(.heartbeat, from: "a")
        for expected in [2.5, 3.5, 4.5, 5.5, 6.5] {
            #expect(h.core.nextTick() == expected)
            h.now = expected
            h.tick()
        }
        // Heartbeat due at 7.5, silence deadline at 2 + 5 = 7: the silence comes first.
        #expect(h.core.nextTick() == 7)
        h.now = 7
        h.tick()
        #expect(h.core.liveWorkers == [WorkerID("a")], "silent for exactly the timeout is not yet lost")
        // Still due, so the next tick comes tickSpacing later, and then the worker is lost.
        #expect(h.core.nextTick() == 7 + 0.125)
        h.now = 7.125
        h.tick()
        #expect(h.core.liveWorkers.isEmpty)
        #expect(h.events.contains { if case .workerLost(WorkerID("a"), _, _) = $0 { true } else { false } })
        #expect(h.core.nextTick() == .infinity)
    }

    @Test("nextTick is the earliest lease expiry when it comes before every heartbeat")
    func leaseExpiry() throws {
        // Unmeasured lease 0.75 s < heartbeat 1 s.
        var h = try Harness(pending: trials(widths: [3], perWidth: 4), settings: settings(heartbeat: 1, silence: 5, lease: 0.75))
        h.now = 0.5
        h.join("a", credits: 1)
        let first = try #require(h.held[WorkerID("a")]?.first)
        #expect(h.core.nextTick() == 0.5 + 0.75)
        h.now = 1.25
        h.tick()
        #expect(h.events.contains(.leaseExpired(first.taskID, worker: WorkerID("a"))))
        // The requeued trials went out again at 1.25: lease until 2.0, heartbeat due at 2.25.
        let second = try #require(h.held[WorkerID("a")]?.last)
        #expect(second.taskID != first.taskID)
        #expect(h.core.nextTick() == 2.0)
    }

    @Test("a lease created by a message lowers nextTick at once; a measured lease follows leaseMultiplier")
    func measuredLease() throws {
        var configured = settings(heartbeat: 4, silence: 8, lease: 600)
        configured.minimumLease = 0.0625
        configured.leaseMultiplier = 2
        var h = try Harness(pending: trials(widths: [3], perWidth: 40), settings: configured)
        h.join("a", credits: 1)  // at 0: heartbeat due at 4, unmeasured lease until 600
        #expect(h.core.nextTick() == 4)
        h.now = 1
        let finished = h.finishOne("a", secondsPerTrial: 0.125)
        #expect(finished)
        // The result measured 0.125 s per trial; the next task's lease is max(0.0625, 2 × 0.125 × n) from t = 1.
        let next = try #require(h.held[WorkerID("a")]?.last)
        let n = Double(next.trials.count)
        #expect(h.core.nextTick() == min(1 + 4, 1 + max(0.0625, 2 * 0.125 * n)))
    }

    @Test("ticks are at least tickSpacing apart; during the farewell nextTick is its end")
    func spacingAndFarewell() throws {
        var h = try Harness(pending: [], settings: settings(heartbeat: 1, silence: 5))
        h.join("a", credits: 1)
        h.now = 1
        h.tick()  // heartbeat due again at 2
        h.now = 1.9375
        h.tick()
        #expect(h.core.nextTick() == 2.0625, "at least tickSpacing after the tick at 1.9375")
        _ = h.core.shutdownAll(now: 2)
        #expect(h.core.nextTick() == 5)
    }
}

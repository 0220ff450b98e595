import GFMCCoordination
import GFMCModel
import Testing

/// One bad machine cannot quarantine a study: quarantine needs failures on distinct peers, vanishing
/// peers cost trials nothing and are shut out, credits are capped and start small.
@Suite("Coordinator core: peers, quarantine and credits")
struct PeerTrustTests {
    /// Runs rounds in which each worker answers its oldest task: `task_failed` when it holds `poison`,
    /// a result otherwise. Bounded.
    static func run(_ h: inout Harness, workers: [String], poison: TrialID, rounds: Int = 200) {
        var round = 0
        while round < rounds, !h.core.isComplete {
            round += 1
            var any = false
            for w in workers {
                guard let task = h.held[WorkerID(w)]?.first else { continue }
                any = true
                h.held[WorkerID(w)]!.removeFirst()
                if task.trials.contains(poison) {
                    h.deliver(.taskFailed(TaskFailure(taskID: task.taskID, reason: "poison \(poison)")), from: w)
                } else {
                    h.deliver(resultMessage(task), from: w)
                }
            }
            if !any { return }
        }
    }

    @Test("a poison trial failing on two hosts is quarantined, with its failures on both")
    func poisonOnTwoHostsIsQuarantined() throws {
        let all = trials(widths: [4], perWidth: 8)
        let poison = TrialID(width: 4, index: 5)
        var h = try Harness(pending: all)
        h.join("a", credits: 1)
        h.join("b", credits: 1)
        Self.run(&h, workers: ["a", "b"], poison: poison)
        #expect(h.core.isComplete)
        #expect(h.core.quarantined == [poison])
        let report = try #require(h.quarantines.first)
        #expect(report.failures.count >= 3)
        #expect(Set(report.failures.compactMap(\.peer)) == ["host a", "host b"])
        #expect(h.persisted.sorted() == all.filter { $0 != poison })
    }

    @Test("a trial failing on one host only is never quarantined, however often it fails")
    func poisonOnOneHostIsNeverQuarantined() throws {
        let all = trials(widths: [4], perWidth: 4)
        let poison = TrialID(width: 4, index: 1)
        var h = try Harness(pending: all)
        // Two sessions (processes) on the same host count as one peer.
        h.join("a1", credits: 1, host: "node7")
        h.join("a2", credits: 1, host: "node7")
        Self.run(&h, workers: ["a1", "a2"], poison: poison, rounds: 60)
        #expect(h.quarantines.isEmpty)
        #expect(h.core.quarantined.isEmpty)
        let attempts = h.sent.filter { if case .task(let t) = $0.1 { t.trials.contains(poison) } else { false } }.count
        #expect(attempts > 10, "the poison trial should have been retried many times (\(attempts))")
        #expect(!h.core.isComplete)
        // A second host settles it: it fails there too and is quarantined.
        h.join("b", credits: 1, host: "node8")
        Self.run(&h, workers: ["a1", "a2", "b"], poison: poison)
        #expect(h.core.quarantined == [poison])
        #expect(h.core.isComplete)
    }

    @Test("quarantinePeers = 1 (gfmc run's trusted local workers) quarantines after maxAttempts on one host")
    func onePeerSetting() throws {
        var settings = CoordinatorSettings()
        settings.quarantinePeers = 1
        let poison = TrialID(width: 4, index: 0)
        var h = try Harness(pending: trials(widths: [4], perWidth: 3), settings: settings)
        h.join("a", credits: 1)
        Self.run(&h, workers: ["a"], poison: poison)
        #expect(h.core.quarantined == [poison])
        #expect(h.quarantines.first?.failures.count == settings.maxAttempts)
    }

    @Test("vanishing peers (take tasks, go silent or unreachable) cost no trial an attempt; the real worker completes everything")
    func vanishingPeersQuarantineNothing() throws {
        let all = trials(widths: [4, 8], perWidth: 200)
        var h = try Harness(pending: all)
        // 20 fake hosts, 5 rounds each, 256 credits claimed; each takes what it gets and vanishes.
        for round in 0..<5 {
            for f in 0..<20 {
                let id = "fake\(f)-r\(round)"
                h.deliver(.ready(WorkerAnnouncement(credits: 256, slots: 256, host: "fake-\(f)", pid: 1, workerVersion: "x")), from: id)
            }
            for f in 0..<20 {
                let id = "fake\(f)-r\(round)"
                if f % 2 == 0 {
                    h.absorb(h.core.onSendFailed(to: WorkerID(id), now: h.now))
                }
            }
            h.tick(advance: 6)  // the rest go silent past workerSilenceTimeout
        }
        #expect(h.quarantines.isEmpty)
        #expect(h.core.quarantined.isEmpty)
        #expect(h.core.shutOutPeers == Set((0..<20).map { "host fake-\($0)" }))
        #expect(h.core.liveWorkers.isEmpty)
        // Shut-out peers were told why.
        let refusals = h.sent.filter { if case .refused = $0.1 { true } else { false } }
        #expect(refusals.count == 40, "rounds 4 and 5 of every fake host are refused (\(refusals.count))")
        h.join("real", credits: 2)
        h.drain(["real"])
        #expect(h.core.isComplete)
        #expect(h.persisted.sorted() == all)
        #expect(h.quarantines.isEmpty)
    }

    @Test("a peer is shut out after vanishStrikes vanishings, not before; a peer that returned results gets no strike")
    func shutOutAfterStrikes() throws {
        var settings = CoordinatorSettings()
        settings.vanishStrikes = 3
        var h = try Harness(pending: trials(widths: [4], perWidth: 100), settings: settings)
        for n in 0..<2 {
            h.join("v\(n)", credits: 4, host: "bad")
            h.absorb(h.core.onSendFailed(to: WorkerID("v\(n)"), now: h.now))
        }
        #expect(h.core.shutOutPeers.isEmpty)
        h.join("v2", credits: 4, host: "bad")
        #expect(h.core.outstandingTasks(of: WorkerID("v2")) > 0)
        h.absorb(h.core.onSendFailed(to: WorkerID("v2"), now: h.now))
        #expect(h.core.shutOutPeers == ["host bad"])
        h.join("v3", credits: 4, host: "bad")
        #expect(h.core.liveWorkers.isEmpty)
        #expect(h.core.outstandingTasks(of: WorkerID("v3")) == 0)
        guard case .refused(let refusal)? = h.sentMessages(to: "v3").last else { Issue.record("no refusal"); return }
        #expect(refusal.reason.contains("host bad") && refusal.reason.contains("shut out"))
        // A worker that returns a result before it dies is no vanishing peer.
        for n in 0..<5 {
            h.join("g\(n)", credits: 2, host: "good")
            h.finishOne("g\(n)")
            h.absorb(h.core.onSendFailed(to: WorkerID("g\(n)"), now: h.now))
        }
        #expect(h.core.shutOutPeers == ["host bad"])
    }

    @Test("with a CURVE key the key is the peer, whatever host the worker names")
    func curveKeyIsThePeer() throws {
        var h = try Harness(pending: trials(widths: [4], perWidth: 100))
        for n in 0..<3 {
            h.absorb(h.core.onMessage(from: WorkerID("k\(n)"), .ready(announcement(credits: 2, host: "host-\(n)")),
                                      now: h.now, peerKey: "key K1"))
            #expect(h.core.peer(of: WorkerID("k\(n)")) == "key K1")
            h.absorb(h.core.onSendFailed(to: WorkerID("k\(n)"), now: h.now))
        }
        #expect(h.core.shutOutPeers == ["key K1"])
        h.absorb(h.core.onMessage(from: WorkerID("other"), .ready(announcement(credits: 2, host: "host-0")),
                                  now: h.now, peerKey: "key K2"))
        #expect(h.core.liveWorkers == [WorkerID("other")])
    }

    @Test("a lost lease counts as a failed attempt once its peer has returned results (a trial that kills workers is quarantined)")
    func provenPeerLossCounts() throws {
        let all = trials(widths: [4], perWidth: 6)
        let killer = TrialID(width: 4, index: 3)
        var settings = CoordinatorSettings()
        settings.initialTrialsPerTask = 1
        var h = try Harness(pending: all, settings: settings)
        var generation = 0
        var rounds = 0
        var live = ["a0": "a", "b0": "b"]
        for (w, host) in live { h.join(w, credits: 1, host: host) }
        while rounds < 100, !h.core.isComplete {
            rounds += 1
            for (w, host) in live.sorted(by: { $0.key < $1.key }) {
                guard let task = h.held[WorkerID(w)]?.first else { continue }
                if task.trials.contains(killer) {
                    // The process dies computing it; a new one starts on the same host.
                    h.held[WorkerID(w)] = []
                    h.absorb(h.core.onSendFailed(to: WorkerID(w), now: h.now))
                    generation += 1
                    live[w] = nil
                    let next = "\(host)\(generation)"
                    live[next] = host
                    h.join(next, credits: 1, host: host)
                } else {
                    h.finishOne(w)
                }
            }
        }
        #expect(h.core.isComplete)
        #expect(h.core.quarantined == [killer])
        #expect(h.persisted.sorted() == all.filter { $0 != killer })
    }

    @Test("credits: capped by announced credits, slots × maxCreditsPerSlot and maxCreditsPerWorker; the window starts at initialCredits and grows per result")
    func creditsCappedAndGrowing() throws {
        var settings = CoordinatorSettings()
        settings.initialCredits = 2
        settings.maxCreditsPerSlot = 5
        settings.maxCreditsPerWorker = 20
        settings.initialTrialsPerTask = 1
        settings.maxTrialsPerTask = 1
        var h = try Harness(pending: trials(widths: [4], perWidth: 400), settings: settings)
        h.deliver(.ready(WorkerAnnouncement(credits: 256, slots: 3, host: "s", pid: 1, workerVersion: "x")), from: "s")
        h.deliver(.ready(WorkerAnnouncement(credits: 1000, slots: 1000, host: "m", pid: 1, workerVersion: "x")), from: "m")
        h.deliver(.ready(WorkerAnnouncement(credits: 4, slots: 3, host: "c", pid: 1, workerVersion: "x")), from: "c")
        #expect(h.core.creditCap(of: WorkerID("s")) == 15, "slots × maxCreditsPerSlot")
        #expect(h.core.creditCap(of: WorkerID("m")) == 20, "maxCreditsPerWorker")
        #expect(h.core.creditCap(of: WorkerID("c")) == 4, "the announced credits")
        for worker in ["s", "m", "c"] { #expect(h.core.outstandingTasks(of: WorkerID(worker)) == 2) }
        var maxHeld: [String: Int] = [:]
        for _ in 0..<40 {
            for worker in ["m", "s", "c"] {
                h.finishOne(worker)
                maxHeld[worker] = max(maxHeld[worker] ?? 0, h.core.outstandingTasks(of: WorkerID(worker)))
            }
        }
        #expect(maxHeld == ["s": 15, "m": 20, "c": 4])
        #expect(h.core.credits(of: WorkerID("s")) == 15)
        #expect(h.core.credits(of: WorkerID("m")) == 20)
        #expect(h.core.credits(of: WorkerID("c")) == 4)
    }

    @Test("trials quarantined by an earlier run are counted, never handed out, and the study completes")
    func quarantinedAtStart() throws {
        let all = trials(widths: [4], perWidth: 5)
        let held = [TrialID(width: 4, index: 2)]
        var h = Harness(core: try CoordinatorCore(study: testStudy, pendingTrials: all, quarantined: held, epoch: 1, now: 0))
        h.join("a", credits: 2)
        h.drain(["a"])
        #expect(h.core.isComplete)
        #expect(h.persisted.sorted() == all.filter { $0 != held[0] })
        let status = h.core.status(now: h.now)
        #expect(status.quarantined == 1 && status.total == 5 && status.done == 4 && status.complete)
    }
}

@Suite("Coordinator core: build checks")
struct BuildCheckTests {
    func harness() throws -> Harness {
        var settings = CoordinatorSettings()
        settings.requiredWorkerVersion = "gfmc 1.2.3"
        settings.requiredNumericsFingerprint = "nf1-aaaa"
        return try Harness(pending: trials(widths: [4], perWidth: 10), settings: settings)
    }

    func refusal(_ h: Harness, _ worker: String) -> String? {
        h.sentMessages(to: worker).compactMap { if case .refused(let r) = $0 { r.reason } else { nil } }.first
    }

    @Test("a worker of another version or numerics fingerprint is refused with both values and gets no task")
    func mismatchRefused() throws {
        var h = try harness()
        h.deliver(.ready(WorkerAnnouncement(credits: 2, slots: 2, host: "x", pid: 1, workerVersion: "gfmc 1.2.4",
                                            numericsFingerprint: "nf1-aaaa")), from: "v")
        h.deliver(.ready(WorkerAnnouncement(credits: 2, slots: 2, host: "y", pid: 1, workerVersion: "gfmc 1.2.3",
                                            numericsFingerprint: "nf1-bbbb")), from: "f")
        h.deliver(.ready(WorkerAnnouncement(credits: 2, slots: 2, host: "z", pid: 1, workerVersion: "gfmc 1.2.3")), from: "n")
        #expect(h.core.liveWorkers.isEmpty)
        #expect(h.held.values.allSatisfy { $0.isEmpty })
        #expect(refusal(h, "v")?.contains(#"gfmc version "gfmc 1.2.4" differs from the coordinator's "gfmc 1.2.3""#) == true)
        #expect(refusal(h, "f")?.contains("numerics fingerprint nf1-bbbb differs from the coordinator's nf1-aaaa") == true)
        #expect(refusal(h, "n")?.contains("numerics fingerprint (none)") == true)
        #expect(h.events.contains { if case .workerRefused(WorkerID("f"), _) = $0 { true } else { false } })
        // The matching build joins and completes the study; its announcement is what the runtime records.
        h.deliver(.ready(WorkerAnnouncement(credits: 2, slots: 2, host: "ok", pid: 1, workerVersion: "gfmc 1.2.3",
                                            numericsFingerprint: "nf1-aaaa")), from: "ok")
        #expect(h.core.announcement(of: WorkerID("ok"))?.numericsFingerprint == "nf1-aaaa")
        h.drain(["ok"])
        #expect(h.core.isComplete && h.persisted.count == 10)
    }
}

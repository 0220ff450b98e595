import GFMCCoordination
import GFMCModel
import GFMCTestSupport
import Testing

/// Random event sequences (seeded) against the core, checked after every event against an independent
/// ledger rebuilt from the directives alone.
@Suite("Coordinator core under random events")
struct CoordinatorPropertyTests {
    /// Outstanding tasks per worker as the directive stream says: a task is outstanding from its `task`
    /// send until it is persisted or requeued.
    struct Ledger {
        var holder: [TaskID: WorkerID] = [:]
        mutating func absorb(_ directives: [Directive]) {
            for d in directives {
                switch d {
                case .send(let w, .task(let t)): holder[t.taskID] = w
                case .persist(let t, _, _): holder[t] = nil
                case .log(.taskRequeued(let t, _, _)): holder[t] = nil
                default: break
                }
            }
        }
        func outstanding(_ w: WorkerID) -> Int { holder.values.filter { $0 == w }.count }
    }

    @Test("credits are never exceeded, results are persisted exactly once, and the study completes",
          arguments: [1 as UInt64, 2, 3, 4, 5, 6, 7, 8])
    func randomEvents(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var all = Set(trials(widths: [2, 5, 9], perWidth: 300))
        var settings = CoordinatorSettings()
        settings.unmeasuredLease = 15
        var h = try Harness(pending: Array(all), settings: settings, epoch: seed)
        var ledger = Ledger()
        let names = (0..<5).map { "w\($0)" }
        var announced: [String: Int] = [:]      // credits in each worker's latest ready
        var crashed: Set<String> = []
        var completedTasks: [TaskAssignment] = []

        func step(_ directives: [Directive]) {
            ledger.absorb(directives)
            h.absorb(directives)
        }
        func check() {
            for w in h.core.liveWorkers {
                let name = String(decoding: w.bytes, as: UTF8.self)
                let credits = h.core.credits(of: w) ?? 0
                #expect(h.core.outstandingTasks(of: w) <= credits)
                #expect(credits <= announced[name] ?? 0)
                #expect(ledger.outstanding(w) <= announced[name] ?? 0, "ledger: \(name) holds too many tasks")
            }
            #expect(Set(h.persisted).count == h.persisted.count, "a trial was persisted twice")
        }

        for _ in 0..<1500 {
            let name = names.randomElement(using: &rng)!
            let id = WorkerID(name)
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<8:  // (re)join
                let credits = Int.random(in: 1...4, using: &rng)
                announced[name] = credits
                crashed.remove(name)
                h.held[id] = nil
                step(h.core.onMessage(from: id, .ready(announcement(credits: credits)), now: h.now))
            case 8..<50:  // honest result
                guard !crashed.contains(name), let task = h.held[id]?.first else { continue }
                h.held[id]!.removeFirst()
                completedTasks.append(task)
                step(h.core.onMessage(from: id, resultMessage(task, secondsPerTrial: 1), now: h.now))
            case 50..<55:  // result for another worker's task
                guard let other = h.held.values.compactMap(\.first).randomElement(using: &rng) else { continue }
                step(h.core.onMessage(from: id, resultMessage(other), now: h.now))
            case 55..<60:  // late duplicate
                guard let old = completedTasks.randomElement(using: &rng) else { continue }
                step(h.core.onMessage(from: id, resultMessage(old), now: h.now))
            case 60..<62:  // task failure
                guard !crashed.contains(name), let task = h.held[id]?.first else { continue }
                h.held[id]!.removeFirst()
                step(h.core.onMessage(from: id, .taskFailed(TaskFailure(taskID: task.taskID, reason: "boom")), now: h.now))
            case 62..<75:
                guard !crashed.contains(name) else { continue }
                step(h.core.onMessage(from: id, .heartbeat, now: h.now))
            case 75..<88:
                h.now += Double.random(in: 0...2, using: &rng)
                step(h.core.onTick(now: h.now))
            case 88..<90:
                step(h.core.onSendFailed(to: id, now: h.now))
            case 90..<92:  // crash: silent from now on
                crashed.insert(name)
            case 92..<94:
                guard !crashed.contains(name) else { continue }
                // Sometimes keep finishing the oldest task (its result comes later), hand back the rest.
                let mine = h.held[id] ?? []
                let keep = Bool.random(using: &rng) ? Array(mine.prefix(1)) : []
                h.held[id] = keep
                step(h.core.onMessage(from: id, .goodbye(WorkerGoodbye(
                    returnedTaskIDs: mine.dropFirst(keep.count).map(\.taskID),
                    finishingTaskIDs: keep.map(\.taskID))), now: h.now))
            case 94..<95:
                let more = (30..<33).map { TrialID(width: Int.random(in: 1...3, using: &rng) * 7, index: $0) }
                all.formUnion(more)
                step(h.core.addTrials(more, now: h.now))
            default:  // garbage
                step(h.core.onUndecodable(from: id, error: .unknownType("junk"), now: h.now))
            }
            check()
        }

        // The random phase exercised the interesting paths.
        let midway = h.core.status(now: h.now)
        #expect(!midway.complete)  // so the recovery phase below has work left
        #expect(midway.rejectedMessages > 0 && midway.duplicatesDropped > 0 && midway.requeues > 0)
        #expect(!h.persisted.isEmpty)

        // Let everyone recover and finish honestly (bounded).
        crashed.removeAll()
        var rounds = 0
        while !h.core.isComplete, rounds < 2000 {
            rounds += 1
            for name in names {
                let id = WorkerID(name)
                if h.core.credits(of: id) == nil {
                    announced[name] = 2
                    h.held[id] = nil
                    step(h.core.onMessage(from: id, .ready(announcement(credits: 2)), now: h.now))
                }
                while let task = h.held[id]?.first {
                    h.held[id]!.removeFirst()
                    step(h.core.onMessage(from: id, resultMessage(task), now: h.now))
                }
                step(h.core.onMessage(from: id, .heartbeat, now: h.now))
            }
            h.now += 1
            step(h.core.onTick(now: h.now))
            check()
        }
        #expect(h.core.isComplete)
        let persisted = Set(h.persisted)
        #expect(persisted.count == h.persisted.count)
        #expect(persisted.isDisjoint(with: h.core.quarantined))
        #expect(persisted.union(h.core.quarantined) == all)
        #expect(TrialIndexSet(h.quarantines.map(\.trial)) == h.core.quarantined)
        #expect(h.completions.count >= 1)
    }
}

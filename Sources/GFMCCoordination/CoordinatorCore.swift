import GFMCModel

/// The coordinator's decisions as a pure state machine (no sockets, no files, no clock of its own).
///
/// The runtime feeds it events with the current time in seconds of a monotonic clock and executes the
/// returned `Directive`s in order (see `Directive` for the persist-before-anything-else rule).
///
/// Every session belongs to a *peer*: the worker's CURVE public key when the runtime knows it (passed as
/// `peerKey` with `ready`), else the host the worker announced. Peers, not sessions, are what the
/// quarantine and shut-out rules count, so one bad machine cannot quarantine a study.
///
/// Guarantees (each tested in GFMCCoordinationTests):
/// * credits: a worker never has more leased tasks than min(announced credits, announced slots ×
///   `maxCreditsPerSlot`, `maxCreditsPerWorker`); a new session starts with a window of `initialCredits` tasks that grows by
///   one per accepted result up to that cap;
/// * a result is accepted only from the worker holding the task's lease, only for exactly the leased
///   trials, only for this study; every accepted trial is persisted exactly once; late duplicates are
///   dropped;
/// * a `task_failed` and an invalid result from the lease holder count as one failed attempt of every
///   trial in the task; a lost lease (worker silent for `workerSilenceTimeout`, unreachable
///   (`onSendFailed`), or lease expired) counts as a failed attempt only when its peer has returned at
///   least one accepted result in this run, and otherwise requeues the trials without penalty;
/// * trials with a failed attempt are retried one trial per task; a trial is quarantined (and never
///   handed out again) only when it has `maxAttempts` failed attempts on at least `quarantinePeers`
///   distinct peers: a trial failing on one peer only is retried, never quarantined;
/// * with `requiredWorkerVersion` / `requiredNumericsFingerprint` set, a worker announcing another gfmc
///   version or numerics fingerprint gets `refused` naming both values, and never a task;
/// * a retried trial goes to a peer it has not failed on while such a peer is live;
/// * a peer that has never returned an accepted result and whose sessions end `vanishStrikes` times
///   holding tasks is shut out for the run: its `ready` is answered with `refused`, and it gets no task;
/// * tasks are handed out in (width, index) order, retries first, and sized so a task takes about
///   `targetTaskSeconds` from the per-width moving average of reported trial times;
/// * farewell: after `shutdownAll(now:)` and until `farewellEnds`, every decodable message is answered with
///   `shutdown`, once per worker, and nothing else happens (no result is accepted or persisted, no tick acts,
///   undecodable messages and send failures are ignored); after `farewellEnds` messages are ignored;
/// * timing: `onTick` called before `nextTick()` makes no timed decision (no heartbeat, no lost worker, no
///   expired lease), so a runtime may sleep until `nextTick()` unless a message arrives.
public struct CoordinatorCore: Sendable {
    public let study: StudyIdentity
    public let settings: CoordinatorSettings
    public let epoch: UInt64

    private struct WorkerState: Sendable {
        var announcement: WorkerAnnouncement
        /// The peer behind the session (CURVE key or announced host).
        var peer: String
        /// Most tasks this session may ever hold: min(announced credits, slots × `maxCreditsPerSlot`,
        /// `maxCreditsPerWorker`).
        var creditCap: Int
        /// Current credit window (≤ `creditCap`): grows by one per accepted result.
        var credits: Int
        /// Tasks of this session whose results were accepted.
        var tasksCompleted = 0
        var leases: Set<TaskID> = []
        var lastHeard: Double
        var lastSent: Double
        /// Said goodbye but still finishing some tasks: gets no new tasks.
        var leaving = false
        /// Position in join order (dispatch offers work in this order).
        var joinOrder = 0
        var address: String { "\(announcement.host):\(announcement.pid)" }
    }

    private struct Lease: Sendable {
        let taskID: TaskID
        let trials: [TrialID]
        let worker: WorkerID
        let expiresAt: Double
    }

    private enum RetiredTask: Sendable { case completed, revoked }

    /// How a lease ended without an accepted result.
    private enum LeaseLoss: Sendable {
        /// Handed back or never delivered: requeued without penalty.
        case returned
        /// The worker reported the failure or sent an invalid result: one failed attempt.
        case failed(String)
        /// The worker went silent, became unreachable or let the lease expire: a failed attempt only when
        /// its peer has proven itself by returning an accepted result; otherwise requeued without penalty.
        case lost(String)
    }

    /// What the core knows about one peer across its sessions.
    private struct PeerRecord: Sendable {
        var tasksCompleted = 0
        var strikes = 0
        var shutOut = false
    }

    private var workers: [WorkerID: WorkerState] = [:]
    /// Live workers in join order (dictionary order is not deterministic).
    private var workerOrder: [WorkerID] = []
    /// Which workers the next `dispatch` offers work to. Every live worker with a free credit is in
    /// `hungryWorkers` (it had a free credit when the queue could not serve it) or `workersWithFreedCredit`
    /// (it joined, or a result or a revoked lease freed a credit, since the last dispatch); a tick offers work
    /// to every worker. So handling a message costs O(1) in the number of live workers, not O(workers).
    private var dispatchEveryWorker = true
    private var workersWithFreedCredit: [WorkerID] = []
    private var hungryWorkers: Set<WorkerID> = []
    /// Join order of the live workers (dispatch offers work in this order).
    private var nextJoinOrder = 0
    /// Sum of the live workers' credits (kept as workers join, leave and gain credits).
    private var liveCredits = 0
    /// Live workers that are not leaving, per peer (a peer with none is absent).
    private var livePeerWorkers: [String: Int] = [:]
    private var leases: [TaskID: Lease] = [:]
    /// Tasks of this core taken back without an accepted result, by serial. A task of this epoch with a
    /// serial ≤ `nextSerial` that is neither leased nor revoked was completed (one bit per task issued).
    private var revokedSerials = SerialBitset()
    private var fresh = TrialQueue()
    private var retry = TrialQueue()
    /// Every trial of this run (pending at the start, added later, or quarantined earlier).
    private var known = TrialIndexSet()
    private var completedTrials = TrialIndexSet()
    private var quarantinedTrials = TrialIndexSet()
    private var failures: [TrialID: [FailureRecord]] = [:]
    private var peers: [String: PeerRecord] = [:]
    private var secondsPerTrial: [Int: Double] = [:]
    private var meter: CompletionRateMeter
    private var nextSerial: UInt64 = 0
    private var completeAnnounced = false
    /// Set by `shutdownAll`: when the farewell ends and the workers already answered during it.
    private var farewell: (ends: Double, answered: Set<WorkerID>)?
    /// A lower bound of every timed decision's due time (heartbeat, silence, lease expiry): exact after each
    /// `onTick`, lowered as deadlines are created; deadlines that move later leave it early (conservative).
    private var earliestDeadline = Double.infinity
    private var lastTick = -Double.infinity
    private let startTime: Double
    private let previouslyDone: Int

    private var requeues = 0
    private var tasksIssued = 0
    private var rejectedMessages = 0
    private var duplicatesDropped = 0

    /// - Parameters:
    ///   - study: the study's hash and resolved JSON.
    ///   - pendingTrials: the study's trials minus those already in the store (duplicates ignored).
    ///   - alreadyDone: how many trials the store already holds (only for progress counts).
    ///   - quarantined: trials quarantined by an earlier run (kept out of circulation, counted as quarantined);
    ///     those also in `pendingTrials` are not run.
    ///   - epoch: distinguishes this coordinator's task ids from an earlier run's (use a random value).
    ///   - now: the current clock reading (seconds).
    /// - Throws: `CoordinatorSettingsError` when `settings` is invalid.
    ///
    /// Memory: the trial sets are bitsets (`TrialIndexSet`), about 1 bit per index per set, so a core
    /// for 10^8 pending trials holds about 40 MB; leases hold at most credits × task size trials.
    public init(study: StudyIdentity, pending: TrialIndexSet, alreadyDone: Int = 0, quarantined: TrialIndexSet = [],
                settings: CoordinatorSettings = CoordinatorSettings(), epoch: UInt64, now: Double) throws(CoordinatorSettingsError) {
        try settings.validate()
        self.study = study
        self.settings = settings
        self.epoch = epoch
        self.startTime = now
        self.previouslyDone = max(0, alreadyDone)
        self.meter = CompletionRateMeter(window: settings.rateWindow, start: now)
        known = pending.union(quarantined)
        quarantinedTrials = quarantined
        fresh = TrialQueue(pending.subtracting(quarantined))
    }

    /// The same with the trials as arrays (duplicates ignored). - Precondition: every index ≥ 0.
    public init(study: StudyIdentity, pendingTrials: [TrialID], alreadyDone: Int = 0, quarantined: [TrialID] = [],
                settings: CoordinatorSettings = CoordinatorSettings(), epoch: UInt64, now: Double) throws(CoordinatorSettingsError) {
        try self.init(study: study, pending: TrialIndexSet(pendingTrials), alreadyDone: alreadyDone,
                      quarantined: TrialIndexSet(quarantined), settings: settings, epoch: epoch, now: now)
    }

    // MARK: Read-only views (for the runtime and for tests)

    /// Live workers in join order.
    public var liveWorkers: [WorkerID] { workerOrder }
    /// The worker's current credit window (≤ its cap), nil if unknown.
    public func credits(of worker: WorkerID) -> Int? { workers[worker]?.credits }
    /// The most credits the worker's window can grow to: min(announced credits, slots × `maxCreditsPerSlot`,
    /// `maxCreditsPerWorker`).
    public func creditCap(of worker: WorkerID) -> Int? { workers[worker]?.creditCap }
    /// The peer (CURVE key or announced host) of a live worker.
    public func peer(of worker: WorkerID) -> String? { workers[worker]?.peer }
    /// Peers shut out for the rest of the run (they took tasks and vanished `vanishStrikes` times).
    public var shutOutPeers: Set<String> { Set(peers.filter { $0.value.shutOut }.keys) }
    /// Tasks currently leased to the worker (0 if unknown).
    public func outstandingTasks(of worker: WorkerID) -> Int { workers[worker]?.leases.count ?? 0 }
    /// The trials of a task while it is leased.
    public func leasedTrials(of task: TaskID) -> [TrialID]? { leases[task]?.trials }
    /// Trials completed (accepted and persisted) by this core.
    public var completed: TrialIndexSet { completedTrials }
    /// Trials quarantined by this core (including those passed as quarantined at the start).
    public var quarantined: TrialIndexSet { quarantinedTrials }
    /// Nothing queued and nothing in flight.
    public var isComplete: Bool { fresh.isEmpty && retry.isEmpty && leases.isEmpty }
    /// Moving average of seconds per trial at a width, nil until a task of that width finished.
    public func measuredSecondsPerTrial(width: Int) -> Double? { secondsPerTrial[width] }

    /// When the farewell that `shutdownAll` started ends; nil before `shutdownAll`.
    public var farewellEnds: Double? { farewell?.ends }

    /// True once the farewell started by `shutdownAll` is over (the runtime may then close its transport).
    public func isFarewellOver(now: Double) -> Bool { farewell.map { now >= $0.ends } ?? false }

    /// When the core next needs `onTick` if no other event arrives (seconds of the same clock; `.infinity`
    /// when nothing is timed, e.g. no live worker and no lease). The earliest of every live worker's heartbeat
    /// (`lastSent + heartbeatInterval`) and silence deadline (`lastHeard + workerSilenceTimeout`) and every
    /// lease's expiry, but never sooner than `tickSpacing` after the last tick; during the farewell, its end.
    /// Exact right after `onTick` and after events that only add deadlines; after a message or send that
    /// pushed a deadline later it may be early (a tick then changes nothing timed). O(1).
    public func nextTick() -> Double {
        if let farewell { return farewell.ends }
        return max(earliestDeadline, lastTick + settings.tickSpacing)
    }

    public func status(now: Double) -> CoordinatorStatus {
        let inFlight = leases.values.reduce(0) { $0 + $1.trials.count }
        let done = previouslyDone + completedTrials.count
        let total = previouslyDone + known.count
        let rate = meter.rate(now: now)
        let remaining = total - done - quarantinedTrials.count
        return CoordinatorStatus(
            studyHash: study.hash, total: total, done: done, inFlight: inFlight,
            queued: fresh.count + retry.count, requeues: requeues, quarantined: quarantinedTrials.count,
            workersAlive: workerOrder.count,
            creditsAlive: workerOrder.reduce(0) { $0 + (workers[$1]?.credits ?? 0) },
            trialsPerSecond: rate, etaSeconds: rate > 0 ? Double(remaining) / rate : (remaining == 0 ? 0 : nil),
            elapsedSeconds: max(0, now - startTime), tasksIssued: tasksIssued,
            rejectedMessages: rejectedMessages, duplicatesDropped: duplicatesDropped, complete: isComplete)
    }

    // MARK: Events

    /// A decoded message from a worker.
    /// - Parameter peerKey: the sender's authenticated CURVE public key (Z85) when the runtime knows it;
    ///   nil: the peer is the host named in `ready`. Only read with `ready`.
    public mutating func onMessage(from worker: WorkerID, _ message: Message, now: Double,
                                   peerKey: String? = nil) -> [Directive] {
        if farewell != nil { return farewellAnswer(to: worker, now: now) }
        var out: [Directive] = []
        if message.direction == .toWorker {
            reject(worker, .unexpectedMessage(type: message.typeName, detail: "a coordinator→worker message"), into: &out)
            return out
        }
        if case .ready(let announcement) = message {
            handleReady(worker, announcement, peer: peerKey ?? "host \(announcement.host)", now: now, into: &out)
        } else if workers[worker] == nil {
            if case .goodbye = message {
                // Nothing to do: a worker without a session holds no leases.
            } else {
                reject(worker, .unknownWorker(type: message.typeName), into: &out)
                out.append(.send(to: worker, .reannounce))
            }
        } else {
            workers[worker]?.lastHeard = now
            switch message {
            case .result(let result): handleResult(worker, result, now: now, into: &out)
            case .taskFailed(let failure): handleTaskFailed(worker, failure, now: now, into: &out)
            case .goodbye(let goodbye): handleGoodbye(worker, goodbye, now: now, into: &out)
            default: break  // heartbeat: liveness only
            }
        }
        dispatch(now: now, into: &out)
        checkComplete(now: now, into: &out)
        return finish(out, now: now)
    }

    /// Frames from `worker` that could not be decoded. Logged and counted; the worker's liveness is not
    /// refreshed by garbage.
    public mutating func onUndecodable(from worker: WorkerID, error: WireError, now: Double) -> [Directive] {
        if farewell != nil { return [] }
        var out: [Directive] = []
        reject(worker, .undecodable(error), into: &out)
        return out
    }

    /// Sends to `worker` failed because it is gone (ZMQ_ROUTER_MANDATORY → EHOSTUNREACH).
    /// `undelivered` are the messages that could not be sent: tasks among them never reached the
    /// worker and are requeued without counting a failed attempt; the worker's other leases count as
    /// failed attempts (the worker may have died computing them).
    public mutating func onSendFailed(to worker: WorkerID, undelivered: [Message] = [], now: Double) -> [Directive] {
        if farewell != nil { return [] }
        var out: [Directive] = []
        if workers[worker] != nil {
            for case .task(let task) in undelivered {
                if let lease = leases[task.taskID], lease.worker == worker {
                    revoke(lease, loss: .returned, now: now, into: &out)
                }
            }
            loseWorker(worker, reason: "unreachable (send failed)", now: now, into: &out)
            dispatch(now: now, into: &out)
        }
        checkComplete(now: now, into: &out)
        return finish(out, now: now)
    }

    /// Periodic housekeeping, due at `nextTick()` (calling it more often is harmless): declares silent workers
    /// dead, expires leases, sends heartbeats, hands out work. Does nothing during the farewell.
    public mutating func onTick(now: Double) -> [Directive] {
        if farewell != nil { return [] }
        lastTick = now
        var out: [Directive] = []
        meter.trim(now: now)
        for worker in workerOrder {
            if let state = workers[worker], now - state.lastHeard > settings.workerSilenceTimeout {
                let silence = now - state.lastHeard
                loseWorker(worker, reason: "silent for \(format(silence)) s", now: now, into: &out)
            }
        }
        let expired = leases.values.filter { now >= $0.expiresAt }.sorted { $0.taskID < $1.taskID }
        for lease in expired {
            out.append(.log(.leaseExpired(lease.taskID, worker: lease.worker)))
            out.append(.send(to: lease.worker, .cancel(TaskCancellation(taskID: lease.taskID))))
            revoke(lease, loss: .lost("lease expired"), now: now, into: &out)
        }
        dispatchEveryWorker = true
        dispatch(now: now, into: &out)
        let sentTo = Set(out.compactMap { directive -> WorkerID? in
            if case .send(let worker, _) = directive { return worker } else { return nil }
        })
        for worker in workerOrder where !sentTo.contains(worker) {
            if let state = workers[worker], now - state.lastSent >= settings.heartbeatInterval {
                out.append(.send(to: worker, .heartbeat))
            }
        }
        checkComplete(now: now, into: &out)
        let directives = finish(out, now: now)
        recomputeEarliestDeadline()
        return directives
    }

    /// The exact earliest due time of every timed decision (O(workers + leases); once per tick).
    private mutating func recomputeEarliestDeadline() {
        var earliest = Double.infinity
        for state in workers.values {
            earliest = min(earliest, state.lastSent + settings.heartbeatInterval,
                           state.lastHeard + settings.workerSilenceTimeout)
        }
        for lease in leases.values { earliest = min(earliest, lease.expiresAt) }
        earliestDeadline = earliest
    }

    /// Adds trials to the study (e.g. a precision-target round). Trials this core already knows are
    /// ignored; the caller must not pass trials the store already holds.
    /// - Precondition: every index ≥ 0.
    public mutating func addTrials(_ trials: [TrialID], now: Double) -> [Directive] {
        addTrials(TrialIndexSet(trials), now: now)
    }

    /// Adds trials to the study, as `addTrials(_:now:)` with an array.
    public mutating func addTrials(_ trials: TrialIndexSet, now: Double) -> [Directive] {
        var out: [Directive] = []
        let new = trials.subtracting(known)
        known.formUnion(new)
        fresh.insert(contentsOf: new)
        dispatch(now: now, into: &out)
        checkComplete(now: now, into: &out)
        return finish(out, now: now)
    }

    /// `shutdown` to every live worker (the runtime calls this when it stops serving), and the start of the
    /// farewell: until `now + farewellSeconds` every worker that still talks is told to shut down (see the
    /// type's guarantees). A second call sends again but keeps the first farewell's end.
    public mutating func shutdownAll(now: Double) -> [Directive] {
        if farewell == nil { farewell = (now + settings.farewellSeconds, []) }
        return finish(workerOrder.map { .send(to: $0, .shutdown) }, now: now)
    }

    /// The farewell's answer to any message: one `shutdown` per worker while it lasts, nothing after.
    private mutating func farewellAnswer(to worker: WorkerID, now: Double) -> [Directive] {
        guard let ends = farewell?.ends, now < ends, farewell?.answered.insert(worker).inserted == true else { return [] }
        return [.send(to: worker, .shutdown)]
    }

    // MARK: Message handlers

    private mutating func handleReady(_ worker: WorkerID, _ announcement: WorkerAnnouncement, peer: String,
                                      now: Double, into out: inout [Directive]) {
        guard announcement.credits >= 1 else {
            reject(worker, .unexpectedMessage(type: "ready", detail: "credits \(announcement.credits) < 1"), into: &out)
            return
        }
        if let problem = buildMismatch(announcement) {
            if let previous = workers[worker] {
                for task in previous.leases.sorted() { if let lease = leases[task] { revoke(lease, loss: .returned, now: now, into: &out) } }
                removeWorker(worker)
            }
            out.append(.log(.workerRefused(worker, reason: problem)))
            out.append(.send(to: worker, .refused(WorkerRefusal(reason: problem))))
            return
        }
        if peers[peer]?.shutOut == true {
            if let previous = workers[worker] {
                for task in previous.leases.sorted() { if let lease = leases[task] { revoke(lease, loss: .returned, now: now, into: &out) } }
                removeWorker(worker)
            }
            out.append(.log(.peerRefused(worker, peer: peer)))
            out.append(.send(to: worker, .refused(WorkerRefusal(reason: Self.shutOutReason(peer, strikes: settings.vanishStrikes)))))
            return
        }
        if let previous = workers[worker] {
            let held = previous.leases.sorted()
            for task in held { if let lease = leases[task] { revoke(lease, loss: .returned, now: now, into: &out) } }
            out.append(.log(.workerRejoined(worker, requeuedTasks: held.count)))
        } else {
            workerOrder.append(worker)
            out.append(.log(.workerJoined(worker, announcement)))
        }
        let slots = announcement.slots >= 1 ? announcement.slots : announcement.credits
        let cap = min(announcement.credits, slots * settings.maxCreditsPerSlot, settings.maxCreditsPerWorker)
        if let previous = workers[worker] { forget(previous) }
        var state = WorkerState(announcement: announcement, peer: peer, creditCap: cap,
                                credits: min(cap, settings.initialCredits), lastHeard: now, lastSent: now)
        nextJoinOrder += 1
        state.joinOrder = nextJoinOrder
        workers[worker] = state
        earliestDeadline = min(earliestDeadline, now + min(settings.heartbeatInterval, settings.workerSilenceTimeout))
        liveCredits += state.credits
        livePeerWorkers[peer, default: 0] += 1
        workersWithFreedCredit.append(worker)
        out.append(.send(to: worker, .welcome(StudyWelcome(studyHash: study.hash, studyJSON: study.json))))
    }

    private mutating func handleResult(_ worker: WorkerID, _ result: TaskResult, now: Double,
                                       into out: inout [Directive]) {
        guard result.studyHash == study.hash else {
            reject(worker, .wrongStudy(expected: study.hash, received: result.studyHash), into: &out)
            return
        }
        guard let lease = leases[result.taskID] else {
            switch retiredOutcome(result.taskID) {
            case .completed?:
                duplicatesDropped += 1
                out.append(.log(.duplicateDropped(result.taskID, worker: worker)))
            case .revoked?: reject(worker, .leaseRevoked(result.taskID), into: &out)
            case nil: reject(worker, .unknownTask(result.taskID), into: &out)
            }
            return
        }
        guard lease.worker == worker else {
            reject(worker, .notLeaseHolder(result.taskID, holder: lease.worker), into: &out)
            return
        }
        if let problem = trialSetProblem(result, lease: lease) {
            reject(worker, .wrongTrialSet(result.taskID, detail: problem), into: &out)
            revoke(lease, loss: .failed("invalid result: \(problem)"), now: now, into: &out)
            return
        }
        // Accept.
        leases[lease.taskID] = nil
        workers[worker]?.leases.remove(lease.taskID)
        if let state = workers[worker] {
            workers[worker]!.tasksCompleted += 1
            workers[worker]!.credits = min(state.creditCap, state.credits + 1)
            if state.credits < state.creditCap { liveCredits += 1 }
            workersWithFreedCredit.append(worker)
            peers[state.peer, default: PeerRecord()].tasksCompleted += 1
        }
        let accepted = result.results.filter { !completedTrials.contains($0.id) }.sorted { $0.id < $1.id }
        for trial in accepted { completedTrials.insert(trial.id) }
        meter.record(accepted.count, at: now)
        updateTiming(width: lease.trials[0].width, seconds: result.trialSeconds)
        if !accepted.isEmpty {
            out.append(.persist(taskID: lease.taskID, worker: worker, results: accepted))
        }
    }

    /// nil when the result holds exactly the leased trials, once each, with aligned timings.
    private func trialSetProblem(_ result: TaskResult, lease: Lease) -> String? {
        if result.results.count != lease.trials.count {
            return "\(result.results.count) results for \(lease.trials.count) leased trials"
        }
        if result.trialSeconds.count != result.results.count {
            return "\(result.trialSeconds.count) timings for \(result.results.count) results"
        }
        let ids = result.results.map(\.id)
        let idSet = Set(ids)
        if idSet.count != ids.count { return "a trial appears more than once" }
        let leased = Set(lease.trials)
        if idSet != leased {
            let stray = idSet.subtracting(leased).sorted().prefix(3).map(\.description)
            return "trials not in the task: \(stray.joined(separator: ", "))"
        }
        return nil
    }

    private mutating func updateTiming(width: Int, seconds: [Double]) {
        let valid = seconds.filter { $0.isFinite && $0 >= 0 }
        guard !valid.isEmpty else { return }
        let mean = valid.reduce(0, +) / Double(valid.count)
        if let old = secondsPerTrial[width] {
            secondsPerTrial[width] = settings.timingSmoothing * mean + (1 - settings.timingSmoothing) * old
        } else {
            secondsPerTrial[width] = mean
        }
    }

    private mutating func handleTaskFailed(_ worker: WorkerID, _ failure: TaskFailure, now: Double,
                                           into out: inout [Directive]) {
        guard let lease = leases[failure.taskID] else {
            reject(worker, retiredOutcome(failure.taskID) == nil ? .unknownTask(failure.taskID) : .leaseRevoked(failure.taskID), into: &out)
            return
        }
        guard lease.worker == worker else {
            reject(worker, .notLeaseHolder(failure.taskID, holder: lease.worker), into: &out)
            return
        }
        let reason = String(failure.reason.prefix(500))
        out.append(.log(.taskFailed(failure.taskID, worker: worker, reason: reason)))
        revoke(lease, loss: .failed(reason), now: now, into: &out)
    }

    /// The worker is leaving and gets no new tasks. Its leases not listed as finishing go back to the
    /// queue without penalty (whether it listed them as returned or they were still in flight to it);
    /// the finishing ones stay leased and their results are accepted. A goodbye that leaves it holding
    /// nothing ends its session.
    private mutating func handleGoodbye(_ worker: WorkerID, _ goodbye: WorkerGoodbye, now: Double,
                                        into out: inout [Directive]) {
        guard let state = workers[worker] else { return }
        if !state.leaving { removeLivePeerWorker(state.peer) }
        workers[worker]!.leaving = true
        let keep = Set(goodbye.finishingTaskIDs)
        var returned = 0
        for task in state.leases.sorted() where !keep.contains(task) {
            guard let lease = leases[task] else { continue }
            revoke(lease, loss: .returned, now: now, into: &out)
            returned += 1
        }
        let finishing = workers[worker]!.leases.count
        if finishing == 0 {
            removeWorker(worker)
            out.append(.log(.workerLeft(worker, requeuedTasks: returned)))
        } else {
            out.append(.log(.workerLeaving(worker, requeuedTasks: returned, finishing: finishing)))
        }
    }

    // MARK: Leases and workers

    /// Takes a lease back. A counted failure (see `LeaseLoss`) is one attempt against every trial in it
    /// (retried singly, quarantined at `maxAttempts` attempts on `quarantinePeers` distinct peers);
    /// otherwise the trials are simply queued again.
    private mutating func revoke(_ lease: Lease, loss: LeaseLoss, now: Double, into out: inout [Directive]) {
        leases[lease.taskID] = nil
        workers[lease.worker]?.leases.remove(lease.taskID)
        revokedSerials.insert(lease.taskID.serial)
        if workers[lease.worker] != nil { workersWithFreedCredit.append(lease.worker) }
        requeues += 1
        let peer = workers[lease.worker]?.peer ?? "?"
        let failure: String?
        switch loss {
        case .returned: failure = nil
        case .failed(let reason): failure = reason
        case .lost(let reason): failure = (peers[peer]?.tasksCompleted ?? 0) > 0 ? reason : nil
        }
        out.append(.log(.taskRequeued(lease.taskID, trials: lease.trials.count, failed: failure != nil)))
        guard let reason = failure else {
            for trial in lease.trials {
                if failures[trial] != nil { retry.insert(trial) } else { fresh.insert(trial) }
            }
            return
        }
        let address = workers[lease.worker]?.address ?? "?"
        for trial in lease.trials {
            failures[trial, default: []].append(FailureRecord(
                taskID: lease.taskID, worker: lease.worker.description, workerAddress: address,
                reason: reason, time: now, peer: peer))
            let attempts = failures[trial]!.count
            let distinctPeers = Set(failures[trial]!.map { $0.peer ?? $0.workerAddress }).count
            if attempts >= settings.maxAttempts, distinctPeers >= settings.quarantinePeers {
                quarantinedTrials.insert(trial)
                out.append(.log(.trialQuarantined(trial, attempts: attempts)))
                out.append(.quarantine(QuarantineReport(trial: trial, failures: failures[trial]!)))
            } else {
                retry.insert(trial)
            }
        }
    }

    private mutating func loseWorker(_ worker: WorkerID, reason: String, now: Double, into out: inout [Directive]) {
        guard let state = workers[worker] else { return }
        let held = state.leases.sorted()
        for task in held {
            if let lease = leases[task] { revoke(lease, loss: .lost("worker \(reason)"), now: now, into: &out) }
        }
        removeWorker(worker)
        out.append(.log(.workerLost(worker, reason: reason, requeuedTasks: held.count)))
        // Took tasks and vanished without returning any: a strike against its peer.
        if !held.isEmpty, (peers[state.peer]?.tasksCompleted ?? 0) == 0 {
            var record = peers[state.peer, default: PeerRecord()]
            record.strikes += 1
            if record.strikes >= settings.vanishStrikes, !record.shutOut {
                record.shutOut = true
                out.append(.log(.peerShutOut(peer: state.peer, strikes: record.strikes)))
                // Its other live sessions are refused too (their leases go back without penalty).
                for other in workerOrder where workers[other]?.peer == state.peer {
                    for task in workers[other]!.leases.sorted() { if let lease = leases[task] { revoke(lease, loss: .returned, now: now, into: &out) } }
                    removeWorker(other)
                    out.append(.send(to: other, .refused(WorkerRefusal(reason: Self.shutOutReason(state.peer, strikes: record.strikes)))))
                }
            }
            peers[state.peer] = record
        }
    }

    /// Why the worker's build cannot join this study, or nil when it can.
    private func buildMismatch(_ a: WorkerAnnouncement) -> String? {
        if let required = settings.requiredWorkerVersion, a.workerVersion != required {
            return "gfmc version \"\(a.workerVersion)\" differs from the coordinator's \"\(required)\"; "
                + "results must be bit-identical, so every worker must run the coordinator's build"
        }
        if let required = settings.requiredNumericsFingerprint, a.numericsFingerprint != required {
            return "numerics fingerprint \(a.numericsFingerprint ?? "(none)") differs from the coordinator's \(required); "
                + "this build computes different numbers (other compiler, BLAS or CPU code path), so its results would not be bit-identical"
        }
        return nil
    }

    /// The announcement of a live worker (for the build recorded with its results).
    public func announcement(of worker: WorkerID) -> WorkerAnnouncement? { workers[worker]?.announcement }

    static func shutOutReason(_ peer: String, strikes: Int) -> String {
        "\(peer) is shut out for the rest of this run: it took tasks and vanished without a result \(strikes) times"
    }

    /// How a task of this core that is no longer leased ended; nil for a task this core never issued.
    private func retiredOutcome(_ task: TaskID) -> RetiredTask? {
        guard task.epoch == epoch, task.serial >= 1, task.serial <= nextSerial, leases[task] == nil else { return nil }
        return revokedSerials.contains(task.serial) ? .revoked : .completed
    }

    private mutating func removeWorker(_ worker: WorkerID) {
        if let state = workers[worker] { forget(state) }
        workers[worker] = nil
        workerOrder.removeAll { $0 == worker }
        hungryWorkers.remove(worker)
    }

    /// Takes a session out of the running totals (before it is removed or replaced).
    private mutating func forget(_ state: WorkerState) {
        liveCredits -= state.credits
        if !state.leaving { removeLivePeerWorker(state.peer) }
    }

    private mutating func removeLivePeerWorker(_ peer: String) {
        let remaining = (livePeerWorkers[peer] ?? 1) - 1
        livePeerWorkers[peer] = remaining > 0 ? remaining : nil
    }

    private mutating func reject(_ worker: WorkerID, _ rejection: Rejection, into out: inout [Directive]) {
        rejectedMessages += 1
        out.append(.log(.rejected(worker, rejection)))
    }

    // MARK: Dispatch

    /// Hands out tasks round-robin (one per worker per round, in join order) while credits and work remain.
    private mutating func dispatch(now: Double, into out: inout [Directive]) {
        defer {
            dispatchEveryWorker = false
            workersWithFreedCredit.removeAll(keepingCapacity: true)
        }
        guard !(fresh.isEmpty && retry.isEmpty) else {
            // Nothing to hand out: remember who could take work when some is queued.
            for worker in (dispatchEveryWorker ? workerOrder : workersWithFreedCredit) where hasFreeCredit(worker) {
                hungryWorkers.insert(worker)
            }
            return
        }
        let candidates: [WorkerID]
        if dispatchEveryWorker {
            candidates = workerOrder
        } else {
            var offered = hungryWorkers
            offered.formUnion(workersWithFreedCredit)
            candidates = offered.compactMap { worker in workers[worker].map { (worker, $0.joinOrder) } }
                .sorted { $0.1 < $1.1 }.map(\.0)
        }
        var progress = true
        while progress, !(fresh.isEmpty && retry.isEmpty) {
            progress = false
            for worker in candidates {
                guard hasFreeCredit(worker), !(fresh.isEmpty && retry.isEmpty) else { continue }
                if issueTask(to: worker, now: now, into: &out) { progress = true }
            }
        }
        for worker in candidates {
            if hasFreeCredit(worker) { hungryWorkers.insert(worker) } else { hungryWorkers.remove(worker) }
        }
    }

    /// A live worker that is not leaving and holds fewer tasks than its credits.
    private func hasFreeCredit(_ worker: WorkerID) -> Bool {
        guard let state = workers[worker] else { return false }
        return !state.leaving && state.leases.count < state.credits
    }

    /// Leases the next task to `worker`: a retried trial first (one that has not failed on the worker's
    /// peer while another peer is live), else a batch of fresh trials. False when nothing suits it.
    @discardableResult
    private mutating func issueTask(to worker: WorkerID, now: Double, into out: inout [Directive]) -> Bool {
        var trials: [TrialID] = []
        let peer = workers[worker]?.peer ?? "?"
        var single: TrialID?
        if !retry.isEmpty {
            let live = livePeerWorkers
            let otherLivePeers = live.count - (live[peer] != nil ? 1 : 0)
            single = retry.popFirst(where: { trial in
                let failedOn = Set((failures[trial] ?? []).compactMap(\.peer))
                // Leave it to another live peer it has not failed on, if there is one: take it here only if
                // it has not failed on this peer, or it has failed on every other live peer.
                return !failedOn.contains(peer) || failedOn.filter { $0 != peer && live[$0] != nil }.count == otherLivePeers
            })
        }
        if let single {
            trials = [single]
        } else if let head = fresh.first {
            let size = trialsPerTask(width: head.width)
            while trials.count < size, let next = fresh.first, next.width == head.width {
                trials.append(fresh.popFirst()!)
            }
        }
        guard !trials.isEmpty else { return false }
        nextSerial += 1
        let taskID = TaskID(epoch: epoch, serial: nextSerial)
        let leaseSeconds: Double
        if let perTrial = secondsPerTrial[trials[0].width] {
            leaseSeconds = max(settings.minimumLease, settings.leaseMultiplier * perTrial * Double(trials.count))
        } else {
            leaseSeconds = max(settings.minimumLease, settings.unmeasuredLease)
        }
        leases[taskID] = Lease(taskID: taskID, trials: trials, worker: worker, expiresAt: now + leaseSeconds)
        earliestDeadline = min(earliestDeadline, now + leaseSeconds)
        workers[worker]?.leases.insert(taskID)
        tasksIssued += 1
        out.append(.send(to: worker, .task(TaskAssignment(taskID: taskID, studyHash: study.hash, trials: trials))))
        return true
    }

    /// Trials per task at a width: `targetTaskSeconds` / measured seconds per trial (or
    /// `initialTrialsPerTask` before any measurement), clamped to [min, max], and near the end of the
    /// queue at most ⌈queued / live credits⌉ so the last trials spread over all workers.
    public func trialsPerTask(width: Int) -> Int {
        var size: Double
        if let perTrial = secondsPerTrial[width] {
            size = perTrial > 0 ? (settings.targetTaskSeconds / perTrial).rounded() : Double(settings.maxTrialsPerTask)
        } else {
            size = Double(settings.initialTrialsPerTask)
        }
        if liveCredits > 0 {
            size = min(size, (Double(fresh.count) / Double(liveCredits)).rounded(.up))
        }
        size = min(max(size, Double(settings.minTrialsPerTask)), Double(settings.maxTrialsPerTask))
        return Int(size)
    }

    // MARK: Completion and bookkeeping

    private mutating func checkComplete(now: Double, into out: inout [Directive]) {
        if isComplete {
            if !completeAnnounced {
                completeAnnounced = true
                out.append(.studyComplete(status(now: now)))
            }
        } else {
            completeAnnounced = false
        }
    }

    /// Records send times (for heartbeat suppression) and returns the directives.
    private mutating func finish(_ out: [Directive], now: Double) -> [Directive] {
        for directive in out {
            if case .send(let worker, _) = directive { workers[worker]?.lastSent = now }
        }
        return out
    }

    private func format(_ seconds: Double) -> String {
        let tenths = (seconds * 10).rounded() / 10
        return "\(tenths)"
    }
}

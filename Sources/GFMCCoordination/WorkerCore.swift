import GFMCModel

/// The worker's side of the protocol as a pure state machine (no sockets, no threads, no clock of its own).
///
/// The runtime feeds it events with the current time in seconds of a monotonic clock and executes the
/// returned `WorkerDirective`s in order; `nextTick()` says when it next wants `onTick(now:)` if nothing else
/// happens. After an `exit` directive every event returns nothing.
///
/// Guarantees (each tested in GFMCCoordinationTests):
/// * the worker announces itself (`ready`, with `slots` credits) on the first tick and again whenever a
///   `ready` could not be sent, the coordinator answers `reannounce`, or nothing was heard from it for
///   `coordinatorSilenceTimeout` (then with back-off from `heartbeatInterval` doubling up to
///   `reannounceBackoffMax`, reset by a `welcome`);
/// * each announcement starts a new session: tasks of the old one that have not started are dropped,
///   results of those still running are discarded, unsent results are dropped (the coordinator requeued
///   all of them);
/// * a heartbeat goes out when nothing was sent for `heartbeatInterval` (not while a `ready` is pending),
///   also while the study is being prepared, which happens off the message thread;
/// * at most `slots` jobs compute at once (up to `slots × prefetchPerSlot` more tasks wait queued, started
///   in arrival order as engine threads free up); tasks wait until the welcomed study is prepared; a task for
///   another study than the welcomed one is answered with `task_failed`; a `cancel` drops a waiting task
///   and discards a running one's result;
/// * a study that cannot be prepared: `goodbye` handing back every task, then exit;
/// * on a stop request: tasks not started are handed back at once in a `goodbye` listing the running ones
///   as finishing; their results are still sent; when none runs any more, or after `shutdownGraceSeconds`,
///   a final `goodbye` hands back whatever is left and the worker exits; tasks arriving meanwhile are
///   handed back, not computed;
/// * `shutdown` and `refused` end the run at once; so does `giveUpAfterSeconds` of coordinator silence.
public struct WorkerCore: Sendable {
    public let settings: WorkerSettings
    /// The announcement sent with every `ready`.
    public let announcement: WorkerAnnouncement

    private struct RunningJob: Sendable {
        let task: TaskAssignment
        /// False once the task was cancelled or its session ended: its outcome is discarded.
        var current: Bool
    }

    private struct Drain: Sendable {
        let since: Double
        /// Tasks that arrived while draining, to hand back in the final goodbye.
        var arrived: [TaskID] = []
    }

    private enum Preparation: Sendable, Equatable { case preparing, ready }

    private var welcomed: StudyWelcome?
    /// The study most recently asked to be prepared, and how far that got.
    private var study: (hash: String, state: Preparation)?
    private var waiting: [TaskAssignment] = []
    private var running: [Int: RunningJob] = [:]
    private var nextJob = 0
    /// Results and failures the transport could not take yet, oldest first.
    private var unsent: [Message] = []
    private var lastUnsentAttempt = -Double.infinity
    private var readyPending = true
    private var lastReady = -Double.infinity
    private var lastHeard: Double
    private var lastSent = -Double.infinity
    private var backoff: Double
    private var draining: Drain?
    private var finished = false
    private var undecodableCount = 0
    public private(set) var counts = WorkerCounts()

    /// - Parameters:
    ///   - announcement: what `ready` says; its `credits` and `slots` are replaced by `settings.credits` and
    ///     `settings.slots`.
    ///   - now: the current clock reading (seconds); coordinator silence is measured from it.
    /// - Throws: `WorkerSettingsError` when `settings` is invalid.
    public init(settings: WorkerSettings, announcement: WorkerAnnouncement, now: Double) throws(WorkerSettingsError) {
        try settings.validate()
        self.settings = settings
        var announcement = announcement
        announcement.credits = settings.credits
        announcement.slots = settings.slots
        self.announcement = announcement
        lastHeard = now
        backoff = settings.heartbeatInterval
    }

    // MARK: Read-only views (for the runtime and for tests)

    /// An `exit` directive was issued.
    public var isFinished: Bool { finished }
    /// The study of the current session's `welcome`, nil before one (and after each new announcement).
    public var welcomedStudy: StudyWelcome? { welcomed }
    /// Tasks of the current session not yet started, in arrival order.
    public var waitingTasks: [TaskID] { waiting.map(\.taskID) }
    /// Tasks of the current session computing now, sorted.
    public var runningTasks: [TaskID] { running.values.filter(\.current).map(\.task.taskID).sorted() }
    /// Jobs occupying engine threads, including those whose outcome will be discarded (≤ `slots`).
    public var busySlots: Int { running.count }
    public var isDraining: Bool { draining != nil }
    /// The current re-announcement back-off (seconds).
    public var reannounceBackoff: Double { backoff }

    /// When the core next wants `onTick` if no other event arrives (seconds of the same clock; `.infinity`
    /// once finished). The runtime may tick more often.
    public func nextTick() -> Double {
        guard !finished else { return .infinity }
        var due = Double.infinity
        if readyPending {
            due = min(due, lastReady + settings.sendRetryInterval)
        } else {
            due = min(due, lastSent + settings.heartbeatInterval)
            due = min(due, max(lastHeard + settings.coordinatorSilenceTimeout, lastReady + backoff))
        }
        if !unsent.isEmpty { due = min(due, lastUnsentAttempt + settings.sendRetryInterval) }
        if let limit = settings.giveUpAfterSeconds { due = min(due, lastHeard + limit) }
        if let drain = draining { due = min(due, drain.since + settings.shutdownGraceSeconds) }
        return due
    }

    // MARK: Events

    /// Periodic housekeeping: announces when due, retries unsent messages, sends heartbeats, ends a drain
    /// whose grace ran out, gives up after `giveUpAfterSeconds` of silence.
    public mutating func onTick(now: Double) -> [WorkerDirective] {
        guard !finished else { return [] }
        var out: [WorkerDirective] = []
        if let drain = draining, now - drain.since >= settings.shutdownGraceSeconds {
            finishDrain(now: now, into: &out)
            return out
        }
        if let limit = settings.giveUpAfterSeconds, now - lastHeard >= limit {
            out.append(.log(.gaveUp(afterSeconds: limit)))
            exit(.gaveUp, into: &out)
            return out
        }
        if readyPending {
            if now - lastReady >= settings.sendRetryInterval { announce(now: now, into: &out) }
        } else if now - lastHeard >= settings.coordinatorSilenceTimeout, now - lastReady >= backoff {
            out.append(.log(.coordinatorSilent(silentSeconds: now - lastHeard)))
            backoff = min(backoff * 2, settings.reannounceBackoffMax)
            announce(now: now, into: &out)
        }
        if !unsent.isEmpty, now - lastUnsentAttempt >= settings.sendRetryInterval {
            let retry = unsent
            unsent.removeAll()
            lastUnsentAttempt = now
            for message in retry { send(message, now: now, into: &out) }
        }
        if !readyPending, now - lastSent >= settings.heartbeatInterval {
            send(.heartbeat, now: now, into: &out)
        }
        return out
    }

    /// A decoded message from the coordinator.
    public mutating func onMessage(_ message: Message, now: Double) -> [WorkerDirective] {
        guard !finished else { return [] }
        var out: [WorkerDirective] = []
        lastHeard = now
        switch message {
        case .welcome(let welcome):
            welcomed = welcome
            backoff = settings.heartbeatInterval
            if study?.hash != welcome.studyHash {
                study = (welcome.studyHash, .preparing)
                out.append(.prepare(welcome))
            }
        case .task(let task):
            if var drain = draining {
                drain.arrived.append(task.taskID)
                draining = drain
            } else if let welcomed, welcomed.studyHash == task.studyHash {
                waiting.append(task)
            } else {
                let reason = "task for study \(task.studyHash) but the worker was welcomed to \(welcomed?.studyHash ?? "none")"
                send(.taskFailed(TaskFailure(taskID: task.taskID, reason: reason)), now: now, into: &out)
            }
        case .cancel(let cancel):
            waiting.removeAll { $0.taskID == cancel.taskID }
            for (job, entry) in running where entry.task.taskID == cancel.taskID { running[job]?.current = false }
            if var drain = draining {
                drain.arrived.removeAll { $0 == cancel.taskID }
                draining = drain
            }
        case .heartbeat:
            break
        case .shutdown:
            out.append(.log(.coordinatorShutdown))
            exit(.shutdown, into: &out)
            return out
        case .refused(let refusal):
            let reason = String(refusal.reason.prefix(2000))
            out.append(.log(.refused(reason: reason)))
            exit(.refused(reason: reason), into: &out)
            return out
        case .reannounce:
            out.append(.log(.coordinatorForgotWorker))
            announce(now: now, into: &out)
        case .ready, .result, .taskFailed, .goodbye:
            out.append(.log(.unexpectedMessage(type: message.typeName)))
        }
        startJobs(into: &out)
        return out
    }

    /// Frames from the coordinator that could not be decoded: counted and logged (first ten, then every
    /// thousandth); they do not count as hearing from the coordinator.
    public mutating func onUndecodable(detail: String, now: Double) -> [WorkerDirective] {
        guard !finished else { return [] }
        undecodableCount += 1
        guard undecodableCount <= 10 || undecodableCount % 1000 == 0 else { return [] }
        return [.log(.undecodable(count: undecodableCount, detail: detail))]
    }

    /// The transport could not take a `send` directive's message (not connected, queue full).
    public mutating func onSendFailed(_ message: Message, now: Double) -> [WorkerDirective] {
        guard !finished else { return [] }
        switch message {
        case .ready:
            readyPending = true
            counts.announcements -= 1
        case .result, .taskFailed:
            if unsent.isEmpty { lastUnsentAttempt = now }
            unsent.append(message)
        default:
            break  // heartbeats and goodbyes are not retried
        }
        return []
    }

    /// The outcome of a `prepare` directive; `failure` is the reason when the study cannot be prepared.
    public mutating func onPrepared(studyHash: String, failure: String?, now: Double) -> [WorkerDirective] {
        guard !finished, study?.hash == studyHash, study?.state == .preparing else { return [] }
        var out: [WorkerDirective] = []
        if let failure {
            out.append(.log(.studyUnpreparable(studyHash: studyHash, reason: failure)))
            let returned = waiting.map(\.taskID) + runningTasks + (draining?.arrived ?? [])
            waiting.removeAll()
            counts.tasksReturned += returned.count
            send(.goodbye(WorkerGoodbye(returnedTaskIDs: returned, finishingTaskIDs: [])), now: now, into: &out)
            exit(.studyUnpreparable(studyHash: studyHash, reason: failure), into: &out)
            return out
        }
        study = (studyHash, .ready)
        out.append(.log(.studyPrepared(studyHash: studyHash)))
        startJobs(into: &out)
        return out
    }

    /// An engine thread finished a `compute` job.
    public mutating func onComputed(job: Int, _ outcome: WorkerJobOutcome, now: Double) -> [WorkerDirective] {
        guard !finished, let entry = running.removeValue(forKey: job) else { return [] }
        var out: [WorkerDirective] = []
        if entry.current {
            let task = entry.task
            switch outcome {
            case .success(let results, let seconds):
                counts.tasksCompleted += 1
                counts.trialsCompleted += results.count
                send(.result(TaskResult(taskID: task.taskID, studyHash: task.studyHash, results: results,
                                        trialSeconds: seconds)), now: now, into: &out)
            case .failure(let reason):
                counts.tasksFailed += 1
                out.append(.log(.taskFailed(task.taskID, reason: reason)))
                send(.taskFailed(TaskFailure(taskID: task.taskID, reason: reason)), now: now, into: &out)
            }
        }
        if draining != nil, running.values.allSatisfy({ !$0.current }) {
            finishDrain(now: now, into: &out)
            return out
        }
        startJobs(into: &out)
        return out
    }

    /// A stop was requested (signal, caller). Idempotent.
    public mutating func onStopRequested(reason: String, now: Double) -> [WorkerDirective] {
        guard !finished, draining == nil else { return [] }
        var out: [WorkerDirective] = []
        let handedBack = waiting.map(\.taskID)
        waiting.removeAll()
        draining = Drain(since: now)
        counts.tasksReturned += handedBack.count
        let finishing = runningTasks
        if welcomed != nil {
            send(.goodbye(WorkerGoodbye(returnedTaskIDs: handedBack, finishingTaskIDs: finishing)), now: now, into: &out)
        }
        out.append(.log(.stopping(reason: reason, handedBack: handedBack.count, finishing: finishing.count)))
        if finishing.isEmpty { finishDrain(now: now, into: &out) }
        return out
    }

    // MARK: Internals

    /// Starts a new session: tasks of the old one are dropped (waiting) or their results discarded
    /// (running), since the coordinator requeued them.
    private mutating func announce(now: Double, into out: inout [WorkerDirective]) {
        waiting.removeAll()
        for job in running.keys { running[job]?.current = false }
        unsent.removeAll()
        welcomed = nil
        lastReady = now
        if draining != nil {
            readyPending = false
            return
        }
        readyPending = false
        counts.announcements += 1
        send(.ready(announcement), now: now, into: &out)
    }

    /// Hands waiting tasks to free engine threads once their study is prepared.
    private mutating func startJobs(into out: inout [WorkerDirective]) {
        guard draining == nil, let study, study.state == .ready else { return }
        while running.count < settings.slots, let index = waiting.firstIndex(where: { $0.studyHash == study.hash }) {
            let task = waiting.remove(at: index)
            nextJob += 1
            running[nextJob] = RunningJob(task: task, current: true)
            out.append(.compute(job: nextJob, task))
        }
    }

    private mutating func finishDrain(now: Double, into out: inout [WorkerDirective]) {
        let returned = (draining?.arrived ?? []) + runningTasks
        counts.tasksReturned += returned.count
        if welcomed != nil {
            send(.goodbye(WorkerGoodbye(returnedTaskIDs: returned, finishingTaskIDs: [])), now: now, into: &out)
        }
        exit(.stopped, into: &out)
    }

    private mutating func exit(_ ending: WorkerExit, into out: inout [WorkerDirective]) {
        finished = true
        out.append(.exit(ending))
    }

    private mutating func send(_ message: Message, now: Double, into out: inout [WorkerDirective]) {
        lastSent = now
        out.append(.send(message))
    }
}

import GFMCModel

/// What `WorkerCore` asks its runtime shell to do. Execute directives in order.
public enum WorkerDirective: Sendable, Equatable {
    /// Offer a message to the coordinator without blocking. If the transport cannot take it now (not
    /// connected), report it back with `WorkerCore.onSendFailed(_:now:)`.
    case send(Message)
    /// Build the study's shared data off the message thread (it may take long) and report the outcome with
    /// `WorkerCore.onPrepared(studyHash:failure:now:)`. Heartbeats go on meanwhile.
    case prepare(StudyWelcome)
    /// Compute a task's trials on a free engine thread (the core never has more than `slots` jobs running)
    /// with the study prepared for `task.studyHash`, and report with `WorkerCore.onComputed(job:_:now:)`.
    case compute(job: Int, TaskAssignment)
    /// Something worth logging.
    case log(WorkerEvent)
    /// Stop: close the connection (after a short linger so the last messages leave) and return.
    case exit(WorkerExit)
}

/// How a worker's run ends.
public enum WorkerExit: Sendable, Equatable {
    /// The coordinator sent `shutdown`.
    case shutdown
    /// A stop was requested: tasks were finished or handed back with `goodbye`.
    case stopped
    /// No coordinator heard for `giveUpAfterSeconds`.
    case gaveUp
    /// The coordinator sent `refused` with this reason (at most 2000 characters).
    case refused(reason: String)
    /// The study could not be prepared on this worker; it said goodbye instead of failing every trial.
    case studyUnpreparable(studyHash: String, reason: String)
}

/// What an engine thread reports for one job.
public enum WorkerJobOutcome: Sendable, Equatable {
    /// One result per trial, in the task's order, with each trial's compute seconds.
    case success(results: [TrialResult], seconds: [Double])
    case failure(reason: String)
}

/// Log-worthy things `WorkerCore` observed or decided.
public enum WorkerEvent: Sendable, Equatable, CustomStringConvertible {
    case studyPrepared(studyHash: String)
    case studyUnpreparable(studyHash: String, reason: String)
    case taskFailed(TaskID, reason: String)
    /// Silent coordinator: announcing again after `silentSeconds`.
    case coordinatorSilent(silentSeconds: Double)
    /// The coordinator answered `reannounce` (it restarted or forgot this worker).
    case coordinatorForgotWorker
    case coordinatorShutdown
    case refused(reason: String)
    case stopping(reason: String, handedBack: Int, finishing: Int)
    case gaveUp(afterSeconds: Double)
    /// Frames that could not be decoded (logged for the first ten, then every thousandth).
    case undecodable(count: Int, detail: String)
    /// A worker→coordinator message type arrived from the coordinator.
    case unexpectedMessage(type: String)

    public var description: String {
        switch self {
        case .studyPrepared(let hash): return "study \(hash.prefix(12)) prepared"
        case .studyUnpreparable(let hash, let reason): return "study \(hash.prefix(12)) cannot be prepared: \(reason); leaving"
        case .taskFailed(let task, let reason): return "\(task) failed: \(reason)"
        case .coordinatorSilent(let s): return "coordinator silent for \(Int(s)) s; announcing again"
        case .coordinatorForgotWorker: return "coordinator does not know this worker (restarted?); announcing again"
        case .coordinatorShutdown: return "coordinator sent shutdown"
        case .refused(let reason): return "refused by the coordinator: \(reason)"
        case .stopping(let reason, let back, let finishing):
            return "stopping (\(reason)): handed back \(back) queued task(s), finishing \(finishing) running"
        case .gaveUp(let s): return "no coordinator heard for \(Int(s)) s; giving up"
        case .undecodable(_, let detail): return "ignored undecodable message: \(detail)"
        case .unexpectedMessage(let type): return "ignored a worker-side message \"\(type)\" from the coordinator"
        }
    }
}

/// What a worker did, counted by `WorkerCore`.
public struct WorkerCounts: Sendable, Equatable {
    /// Tasks whose results were sent (of the current session each time).
    public var tasksCompleted = 0
    public var trialsCompleted = 0
    public var tasksFailed = 0
    /// Tasks listed as returned in `goodbye` messages.
    public var tasksReturned = 0
    /// Times the worker announced itself (`ready` taken by the transport), including the first.
    public var announcements = 0

    public init() {}
}

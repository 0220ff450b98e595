import GFMCModel

/// Everything a worker says when it (re)joins: how much work it can hold and who it is.
public struct WorkerAnnouncement: Codable, Equatable, Sendable {
    /// Most tasks the coordinator may have outstanding at this worker at once (≥ 1).
    public var credits: Int
    /// Engine threads the worker runs (informational; usually equal to `credits`).
    public var slots: Int
    /// Host name, for logs and quarantine reports.
    public var host: String
    /// Process id on `host`, for logs and quarantine reports.
    public var pid: Int32
    /// The worker's gfmc version ("gfmc X.Y.Z"); must equal the coordinator's when it checks builds.
    public var workerVersion: String
    /// The worker's numerics fingerprint (`NumericsFingerprint`); nil from a worker that sends none.
    public var numericsFingerprint: String?

    public init(credits: Int, slots: Int, host: String, pid: Int32, workerVersion: String,
                numericsFingerprint: String? = nil) {
        self.credits = credits
        self.slots = slots
        self.host = host
        self.pid = pid
        self.workerVersion = workerVersion
        self.numericsFingerprint = numericsFingerprint
    }
}

/// Sent once per connection after `ready`: the study every following task refers to.
public struct StudyWelcome: Codable, Equatable, Sendable {
    /// Hash of the resolved study description; every task and result carries it.
    public var studyHash: String
    /// The resolved study description as JSON text (what the worker's executor needs).
    public var studyJSON: String

    public init(studyHash: String, studyJSON: String) {
        self.studyHash = studyHash
        self.studyJSON = studyJSON
    }
}

/// The coordinator will not work with this worker (sent instead of `welcome`, or to a peer that was shut
/// out). The worker prints `reason` and exits without retrying (`gfmc worker` exit code 7).
public struct WorkerRefusal: Codable, Equatable, Sendable {
    /// Why, in words meant for the person running the worker.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

/// A batch of trials leased to one worker.
public struct TaskAssignment: Codable, Equatable, Sendable {
    public var taskID: TaskID
    public var studyHash: String
    /// Trials to compute, sorted by (width, index); all of one width.
    public var trials: [TrialID]

    public init(taskID: TaskID, studyHash: String, trials: [TrialID]) {
        self.taskID = taskID
        self.studyHash = studyHash
        self.trials = trials
    }
}

/// A finished task: exactly one result per leased trial.
public struct TaskResult: Codable, Equatable, Sendable {
    public var taskID: TaskID
    public var studyHash: String
    public var results: [TrialResult]
    /// Measured compute seconds of each trial, aligned with `results` (used only for task sizing).
    public var trialSeconds: [Double]

    public init(taskID: TaskID, studyHash: String, results: [TrialResult], trialSeconds: [Double]) {
        self.taskID = taskID
        self.studyHash = studyHash
        self.results = results
        self.trialSeconds = trialSeconds
    }
}

/// A task the worker could not compute (executor threw), with a human-readable reason.
public struct TaskFailure: Codable, Equatable, Sendable {
    public var taskID: TaskID
    public var reason: String

    public init(taskID: TaskID, reason: String) {
        self.taskID = taskID
        self.reason = reason
    }
}

/// A worker leaving on purpose (SIGTERM). It gets no new tasks. Every task leased to it that is not
/// in `finishingTaskIDs` goes back to the queue without counting a failure (`returnedTaskIDs` lists
/// the ones it had received; a task still in flight to it is covered too). The tasks it is finishing
/// stay leased: their results are accepted, and the worker sends a final goodbye with
/// `finishingTaskIDs` empty, which ends its session.
public struct WorkerGoodbye: Codable, Equatable, Sendable {
    public var returnedTaskIDs: [TaskID]
    public var finishingTaskIDs: [TaskID]

    public init(returnedTaskIDs: [TaskID], finishingTaskIDs: [TaskID] = []) {
        self.returnedTaskIDs = returnedTaskIDs
        self.finishingTaskIDs = finishingTaskIDs
    }
}

/// A task the coordinator withdrew (its lease expired); the worker drops it and frees the credit.
public struct TaskCancellation: Codable, Equatable, Sendable {
    public var taskID: TaskID

    public init(taskID: TaskID) { self.taskID = taskID }
}

/// One protocol message (docs/protocol.md). The ROUTER identity frame is not part of it: the runtime
/// adds/strips it.
///
/// Equality compares `TrialResult`s field by field, so two results holding NaN never compare equal;
/// compare encoded frames when NaN may occur.
public enum Message: Equatable, Sendable {
    // Worker → coordinator.
    case ready(WorkerAnnouncement)
    case result(TaskResult)
    case taskFailed(TaskFailure)
    case goodbye(WorkerGoodbye)
    // Coordinator → worker.
    case welcome(StudyWelcome)
    case refused(WorkerRefusal)
    case task(TaskAssignment)
    case cancel(TaskCancellation)
    case shutdown
    /// "I do not know you (any more): announce yourself again." Sent to a worker whose messages
    /// arrive without a session, e.g. after a coordinator restart.
    case reannounce
    // Both directions.
    case heartbeat

    /// Who may send a message.
    public enum Direction: Sendable, Equatable {
        case toCoordinator, toWorker, both
    }

    /// The wire name in frame 1 (ASCII).
    public var typeName: String { kind.rawValue }

    public var direction: Direction { kind.direction }

    /// The body-less tag of a message.
    public enum Kind: String, CaseIterable, Sendable {
        case ready, result, taskFailed = "task_failed", goodbye
        case welcome, refused, task, cancel, shutdown, reannounce
        case heartbeat

        public var direction: Direction {
            switch self {
            case .ready, .result, .taskFailed, .goodbye: return .toCoordinator
            case .welcome, .refused, .task, .cancel, .shutdown, .reannounce: return .toWorker
            case .heartbeat: return .both
            }
        }

        /// Whether frame 2 carries a JSON body (otherwise it must be empty).
        public var hasBody: Bool {
            switch self {
            case .shutdown, .reannounce, .heartbeat: return false
            default: return true
            }
        }
    }

    public var kind: Kind {
        switch self {
        case .ready: return .ready
        case .result: return .result
        case .taskFailed: return .taskFailed
        case .goodbye: return .goodbye
        case .welcome: return .welcome
        case .refused: return .refused
        case .task: return .task
        case .cancel: return .cancel
        case .shutdown: return .shutdown
        case .reannounce: return .reannounce
        case .heartbeat: return .heartbeat
        }
    }
}

import GFMCModel

/// What `CoordinatorCore` asks its runtime shell to do. Execute directives in order. A `persist` must be
/// durable before any later directive of the same batch is executed; if it fails, the runtime must stop
/// without executing the rest (a restarted coordinator then recomputes the unpersisted trials).
public enum Directive: Sendable {
    /// Send a message to a worker. A send that fails with EHOSTUNREACH is reported back through
    /// `CoordinatorCore.onSendFailed(to:now:)`.
    case send(to: WorkerID, Message)
    /// Commit these accepted results (sorted by trial) to the store.
    case persist(taskID: TaskID, worker: WorkerID, results: [TrialResult])
    /// Something worth logging.
    case log(CoordinatorEvent)
    /// A trial failed `maxAttempts` times on `quarantinePeers` distinct peers and will not be retried.
    case quarantine(QuarantineReport)
    /// Every trial is either done or quarantined and nothing is in flight. Emitted once each time the
    /// study becomes complete (again after `addTrials`).
    case studyComplete(CoordinatorStatus)
}

/// One failed attempt at a trial.
public struct FailureRecord: Codable, Equatable, Sendable {
    public var taskID: TaskID
    /// `WorkerID.description` of the worker that held the lease.
    public var worker: String
    /// "host:pid" of that worker as it announced itself.
    public var workerAddress: String
    /// What happened: the worker's reason, "worker silent for 5.0 s", "lease expired", ….
    public var reason: String
    /// Coordinator clock time of the failure (seconds).
    public var time: Double
    /// The peer (CURVE key, or "host NAME") whose session held the lease; nil in records without one.
    public var peer: String?

    public init(taskID: TaskID, worker: String, workerAddress: String, reason: String, time: Double,
                peer: String? = nil) {
        self.taskID = taskID
        self.worker = worker
        self.workerAddress = workerAddress
        self.reason = reason
        self.time = time
        self.peer = peer
    }
}

/// A quarantined trial with every failed attempt (oldest first).
public struct QuarantineReport: Codable, Equatable, Sendable {
    public var trial: TrialID
    public var failures: [FailureRecord]

    public init(trial: TrialID, failures: [FailureRecord]) {
        self.trial = trial
        self.failures = failures
    }
}

/// Why an incoming message was rejected (the message is then ignored).
public enum Rejection: Equatable, Sendable, CustomStringConvertible {
    /// The message's study hash is not the coordinator's.
    case wrongStudy(expected: String, received: String)
    /// No such task was ever issued by this coordinator (or it belongs to an earlier incarnation).
    case unknownTask(TaskID)
    /// The task is leased to another worker.
    case notLeaseHolder(TaskID, holder: WorkerID)
    /// The task's lease was revoked (expired, or its worker was declared dead) before the result came.
    case leaseRevoked(TaskID)
    /// The result does not contain exactly the leased trials (once each), or its timing array is misaligned.
    case wrongTrialSet(TaskID, detail: String)
    /// A message a worker must not send (a coordinator→worker type), or an invalid announcement.
    case unexpectedMessage(type: String, detail: String)
    /// A message other than `ready` from a worker without a session; it is asked to re-announce.
    case unknownWorker(type: String)
    /// The frames could not be decoded.
    case undecodable(WireError)

    public var description: String {
        switch self {
        case .wrongStudy(let e, let r): return "wrong study hash \(r) (expected \(e))"
        case .unknownTask(let t): return "unknown \(t)"
        case .notLeaseHolder(let t, let h): return "\(t) is leased to worker \(h)"
        case .leaseRevoked(let t): return "lease of \(t) was revoked before its result arrived"
        case .wrongTrialSet(let t, let d): return "result for \(t) has the wrong trials: \(d)"
        case .unexpectedMessage(let type, let d): return "unexpected \"\(type)\": \(d)"
        case .unknownWorker(let type): return "\"\(type)\" from a worker without a session"
        case .undecodable(let e): return "undecodable message: \(e)"
        }
    }
}

/// Log-worthy things the core observed or decided.
public enum CoordinatorEvent: Equatable, Sendable, CustomStringConvertible {
    case workerJoined(WorkerID, WorkerAnnouncement)
    /// A worker with a live session announced itself again; its leases were requeued without penalty.
    case workerRejoined(WorkerID, requeuedTasks: Int)
    /// Said goodbye; removed (it holds no tasks any more).
    case workerLeft(WorkerID, requeuedTasks: Int)
    /// Said goodbye but is still finishing `finishing` tasks (it gets no new ones).
    case workerLeaving(WorkerID, requeuedTasks: Int, finishing: Int)
    /// Declared dead (silent or unreachable); its leases were requeued as failed attempts.
    case workerLost(WorkerID, reason: String, requeuedTasks: Int)
    case leaseExpired(TaskID, worker: WorkerID)
    case taskFailed(TaskID, worker: WorkerID, reason: String)
    /// A task went back to the queue; `failed` tells whether it counted as a failed attempt (then its
    /// trials are retried one per task).
    case taskRequeued(TaskID, trials: Int, failed: Bool)
    case rejected(WorkerID, Rejection)
    /// A late result for a task already completed (exactly-once: ignored).
    case duplicateDropped(TaskID, worker: WorkerID)
    case trialQuarantined(TrialID, attempts: Int)
    /// A peer took tasks and vanished `strikes` times: shut out for the rest of the run.
    case peerShutOut(peer: String, strikes: Int)
    /// A worker of another gfmc version or numerics fingerprint announced itself and was refused.
    case workerRefused(WorkerID, reason: String)
    /// A worker of a shut-out peer announced itself and was refused.
    case peerRefused(WorkerID, peer: String)

    public var description: String {
        switch self {
        case .workerJoined(let w, let a):
            return "worker \(w) joined (\(a.host):\(a.pid), \(a.credits) credits, \(a.slots) slots, version \(a.workerVersion))"
        case .workerRejoined(let w, let n): return "worker \(w) announced itself again; \(n) task(s) requeued"
        case .workerLeft(let w, let n): return "worker \(w) left; \(n) task(s) requeued"
        case .workerLeaving(let w, let n, let f):
            return "worker \(w) is leaving; \(n) task(s) requeued, finishing \(f)"
        case .workerLost(let w, let r, let n): return "worker \(w) lost (\(r)); \(n) task(s) requeued"
        case .leaseExpired(let t, let w): return "lease of \(t) at worker \(w) expired"
        case .taskFailed(let t, let w, let r): return "\(t) failed at worker \(w): \(r)"
        case .taskRequeued(let t, let n, let f): return "\(t) (\(n) trial(s)) requeued\(f ? " as a failed attempt" : "")"
        case .rejected(let w, let r): return "rejected message from worker \(w): \(r)"
        case .duplicateDropped(let t, let w): return "dropped duplicate result for completed \(t) from worker \(w)"
        case .trialQuarantined(let t, let n): return "trial \(t) quarantined after \(n) failed attempts"
        case .peerShutOut(let p, let n): return "\(p) shut out for the run: took tasks and vanished without a result \(n) times"
        case .peerRefused(let w, let p): return "refused worker \(w): \(p) is shut out"
        case .workerRefused(let w, let r): return "refused worker \(w): \(r)"
        }
    }
}

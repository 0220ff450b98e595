import GFMCCoordination
import GFMCModel

let testStudy = StudyIdentity(hash: "study-abc", json: #"{"name":"test"}"#)

func trials(widths: [Int], perWidth: Int) -> [TrialID] {
    widths.flatMap { w in (0..<perWidth).map { TrialID(width: w, index: $0) } }
}

/// A deterministic fake result: a function of the trial identity only.
func fakeResult(_ id: TrialID) -> TrialResult {
    var r = TrialResult(id: id, engine: "sampled", method: "flow")
    r.converged = true
    r.stopReason = .converged
    r.distanceFrobenius = Double(id.width) + Double(id.index) / 1000
    r.distanceOperator = r.distanceFrobenius / 2
    return r
}

func announcement(credits: Int, host: String = "host") -> WorkerAnnouncement {
    WorkerAnnouncement(credits: credits, slots: credits, host: host, pid: 42, workerVersion: "test")
}

func resultMessage(_ task: TaskAssignment, secondsPerTrial: Double = 0.01, hash: String? = nil) -> Message {
    .result(TaskResult(taskID: task.taskID, studyHash: hash ?? task.studyHash,
                       results: task.trials.map(fakeResult),
                       trialSeconds: Array(repeating: secondsPerTrial, count: task.trials.count)))
}

/// Drives a `CoordinatorCore` with a fake clock and records what the directives did, acting as the
/// runtime shell plus a crowd of simulated workers.
struct Harness {
    var core: CoordinatorCore
    var now: Double = 0
    /// Every trial persisted, in order (duplicates would show up here).
    var persisted: [TrialID] = []
    /// Tasks sent to each worker and neither finished nor cancelled by the coordinator.
    var held: [WorkerID: [TaskAssignment]] = [:]
    var events: [CoordinatorEvent] = []
    var quarantines: [QuarantineReport] = []
    var completions: [CoordinatorStatus] = []
    var sent: [(WorkerID, Message)] = []

    init(pending: [TrialID], settings: CoordinatorSettings = CoordinatorSettings(), epoch: UInt64 = 1,
         alreadyDone: Int = 0) throws {
        core = try CoordinatorCore(study: testStudy, pendingTrials: pending, alreadyDone: alreadyDone,
                                   settings: settings, epoch: epoch, now: 0)
    }

    init(core: CoordinatorCore) {
        self.core = core
    }

    mutating func absorb(_ directives: [Directive]) {
        for directive in directives {
            switch directive {
            case .send(let worker, let message):
                sent.append((worker, message))
                if case .task(let task) = message { held[worker, default: []].append(task) }
                if case .cancel(let c) = message { held[worker]?.removeAll { $0.taskID == c.taskID } }
            case .persist(_, _, let results): persisted += results.map(\.id)
            case .log(let event): events.append(event)
            case .quarantine(let report): quarantines.append(report)
            case .studyComplete(let status): completions.append(status)
            }
        }
    }

    mutating func deliver(_ message: Message, from worker: String) {
        absorb(core.onMessage(from: WorkerID(worker), message, now: now))
    }

    /// The worker announces itself from its own host (named like the worker unless `host` is given).
    mutating func join(_ worker: String, credits: Int, host: String? = nil) {
        deliver(.ready(announcement(credits: credits, host: host ?? worker)), from: worker)
    }

    /// The worker returns the result of its oldest held task; false if it holds none.
    @discardableResult
    mutating func finishOne(_ worker: String, secondsPerTrial: Double = 0.01) -> Bool {
        let id = WorkerID(worker)
        guard let task = held[id]?.first else { return false }
        held[id]!.removeFirst()
        deliver(resultMessage(task, secondsPerTrial: secondsPerTrial), from: worker)
        return true
    }

    mutating func tick(advance seconds: Double = 0) {
        now += seconds
        absorb(core.onTick(now: now))
    }

    func rejections(of worker: String) -> [Rejection] {
        events.compactMap { if case .rejected(WorkerID(worker), let r) = $0 { return r } else { return nil } }
    }

    func sentMessages(to worker: String) -> [Message] {
        sent.filter { $0.0 == WorkerID(worker) }.map(\.1)
    }

    /// Every worker returns all its tasks, repeatedly, until nothing is held (bounded).
    mutating func drain(_ workers: [String], maxRounds: Int = 10_000) {
        var rounds = 0
        while rounds < maxRounds {
            rounds += 1
            var any = false
            for w in workers where finishOne(w) { any = true }
            if !any { return }
        }
    }
}

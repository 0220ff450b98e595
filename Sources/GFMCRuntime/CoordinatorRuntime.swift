import Foundation
import GFMCCoordination
import GFMCModel
import GFMCStore
import GFMCTransport

/// CURVE settings of a coordinator: its key pair and, optionally, the allowlist of worker public
/// keys (enforced by a ZAP handler; without it any client that knows the server key gets in).
public struct CoordinatorCurveKeys: Sendable {
    public var publicKey: String
    public var secretKey: String
    public var allowedWorkerKeys: [String]?

    public init(publicKey: String, secretKey: String, allowedWorkerKeys: [String]? = nil) {
        self.publicKey = publicKey
        self.secretKey = secretKey
        self.allowedWorkerKeys = allowedWorkerKeys
    }
}

/// Everything `CoordinatorRuntime.run` needs. Times are seconds.
public struct CoordinatorOptions: Sendable {
    /// Where the ROUTER binds, e.g. `tcp://*:5555` or `tcp://127.0.0.1:0` (ephemeral port, reported
    /// through `onListening` and in the status file).
    public var endpoint: String
    /// The SQLite study store (created if missing; its directory must exist).
    public var storePath: String
    /// Where `status.json` is written (atomically) every `progressInterval`; nil = not written.
    public var statusPath: String?
    /// The resolved study: identity hash and JSON (sent to workers; recorded in the store).
    public var study: StudyIdentity
    /// Every trial of the study. Those already in the store are not run again. A bitset per width
    /// (`TrialIndexSet`), so a 10^8-trial study costs about 12.5 MB here.
    public var trials: TrialIndexSet
    public var settings: CoordinatorSettings = CoordinatorSettings()
    /// gfmc version recorded in the store.
    public var version: String = "gfmc"
    /// Longest wait in `zmq_poll` between ticks. Default 0.1 s.
    public var tickInterval: Double = 0.1
    /// Period of `progress` callbacks and status-file writes. Default 1 s.
    public var progressInterval: Double = 1
    public var maxBodyBytes: Int = WireCodec.defaultMaxBodyBytes
    /// Return once the study is complete (after telling the workers to shut down). Default true.
    public var stopWhenComplete: Bool = true
    /// Send `shutdown` to every worker when stopping on request (SIGINT/SIGTERM). Default true;
    /// false lets remote workers wait for a restarted coordinator.
    public var shutdownWorkersOnStop: Bool = true
    /// After sending `shutdown` to its workers, the coordinator keeps answering every worker that talks with
    /// one `shutdown` for this long, so a worker it had (wrongly) declared dead also stops. Default 2 s.
    /// The same value as `settings.farewellSeconds` (the core's farewell, see `CoordinatorCore.shutdownAll`).
    public var farewellSeconds: Double {
        get { settings.farewellSeconds }
        set { settings.farewellSeconds = newValue }
    }
    /// Set by signal handlers (or tests) to stop cleanly.
    public var stop: StopFlag? = nil
    /// Where the runtime reads the time (every timeout, lease and rate). Default: the system's monotonic clock.
    public var clock: any MonotonicClockSource = MonotonicClock()
    /// Task-id epoch; nil = random (use a fixed value only in tests).
    public var epoch: UInt64? = nil
    public var curve: CoordinatorCurveKeys? = nil
    /// Log lines (joins, losses, rejections, quarantines). Called on the coordinator thread.
    public var log: (@Sendable (String) -> Void)? = nil
    /// Progress snapshots every `progressInterval` and once at the end.
    public var progress: (@Sendable (CoordinatorStatus) -> Void)? = nil
    /// Called once the socket is bound, with the real endpoint.
    public var onListening: (@Sendable (String) -> Void)? = nil
    /// Rounds (precision targets): called on the coordinator thread each time every trial known so far
    /// is done or quarantined, with the store holding every accepted trial. Returns the next round's
    /// trials; those already stored, completed or quarantined in this run are ignored, and an answer with
    /// nothing new completes the study. nil (the default): the study is exactly `trials`.
    public var nextRound: (@Sendable (StudyStore) throws -> [TrialID])? = nil
    /// Return trials quarantined by earlier runs to the queue (`--retry-quarantined`). Default false: they
    /// stay quarantined (counted, not run) and are listed in `CoordinatorRunSummary.quarantinedEarlier`.
    public var retryQuarantined: Bool = false

    public init(endpoint: String, storePath: String, study: StudyIdentity, trials: TrialIndexSet) {
        self.endpoint = endpoint
        self.storePath = storePath
        self.study = study
        self.trials = trials
    }

    /// The same with the trials as an array (duplicates ignored). - Precondition: every index ≥ 0.
    public init(endpoint: String, storePath: String, study: StudyIdentity, trials: [TrialID]) {
        self.init(endpoint: endpoint, storePath: storePath, study: study, trials: TrialIndexSet(trials))
    }
}

/// How a coordinator run ended.
public struct CoordinatorRunSummary: Sendable {
    public enum Ending: String, Sendable {
        case complete
        /// A stop was requested (the reason is in `stopReason`); the store holds every accepted trial.
        case stopped
    }

    public var ending: Ending
    public var stopReason: String?
    public var endpoint: String
    public var status: CoordinatorStatus
    /// Seconds from the coordinator's start until the study was complete (nil if it was not).
    public var completionSeconds: Double?
    /// Trials quarantined during this run, with every failed attempt.
    public var quarantined: [QuarantineReport]
    /// Trials of the study quarantined by earlier runs and kept out of this one (empty with
    /// `retryQuarantined`).
    public var quarantinedEarlier: [TrialID] = []
}

/// The coordinator process's main loop: a ROUTER socket (`ZMQ_ROUTER_MANDATORY`, `LINGER` 0),
/// `zmq_poll` with a tick, the pure `CoordinatorCore` for every decision, and the `StudyStore` as the
/// journal. Accepted results are committed durably in groups (`GroupCommit`); everything that counts or
/// reports them (logs, quarantines, completion, status) waits for their commit, while task sends go out
/// at once (no message tells a worker its result is stored), so a crash at any moment loses at most
/// work that will be redone. See docs/protocol.md.
public enum CoordinatorRuntime {
    /// Serves the study until it is complete (if `stopWhenComplete`) or a stop is requested.
    /// - Throws: `StoreError.studyMismatch` (with the stored study's JSON) when the store belongs to
    ///   another study; other `StoreError`s (e.g. a failed commit: the run stops, a restart resumes);
    ///   `ZMQError` when binding fails; `CoordinatorSettingsError`.
    public static func run(_ options: CoordinatorOptions) throws -> CoordinatorRunSummary {
        var loop = try CoordinatorLoop(options)
        return try loop.run()
    }
}

private struct CoordinatorLoop {
    let options: CoordinatorOptions
    let clock: ClockSeconds
    let codec: WireCodec
    let store: StudyStore
    let commits: GroupCommit<Directive>
    let context: ZMQContext
    let socket: ZMQSocket
    let zap: ZAPHandler?
    let endpoint: String
    var core: CoordinatorCore
    var quarantined: [QuarantineReport] = []
    var quarantinedEarlier: [TrialID] = []
    var completionSeconds: Double?
    var complete = false
    var rejectionLog = RejectionLogLimiter()
    var lastTick = 0.0
    var lastProgress = -Double.infinity
    /// Messages that could not be sent (EHOSTUNREACH), per worker, reported by `reportSendFailures`.
    var unreachable: [WorkerID: [Message]] = [:]
    var unreachableOrder: [WorkerID] = []

    init(_ options: CoordinatorOptions) throws {
        self.options = options
        clock = ClockSeconds(source: options.clock)
        codec = WireCodec(maxBodyBytes: options.maxBodyBytes)
        store = try StudyStore(path: options.storePath)
        try store.initialize(studyHash: options.study.hash, resolvedStudyJSON: options.study.json,
                             version: options.version)
        try store.requireSound()  // a damaged store is found before any trial is recomputed
        commits = GroupCommit(store: store)
        let recorded = try store.recordedTrials()
        let wanted = options.trials
        let pending = wanted.subtracting(recorded)
        let alreadyDone = wanted.count - pending.count
        if options.retryQuarantined {
            let released = try store.releaseQuarantine()
            if released > 0 { options.log?("--retry-quarantined: \(released) quarantined trial(s) go back to the queue") }
        } else {
            quarantinedEarlier = try store.quarantinedTrialIDs().filter { pending.contains($0) }.sorted()
            if !quarantinedEarlier.isEmpty {
                options.log?("\(quarantinedEarlier.count) trial(s) quarantined by an earlier run are not retried "
                             + "(--retry-quarantined retries them)")
            }
        }
        core = try CoordinatorCore(study: options.study, pending: pending, alreadyDone: alreadyDone,
                                   quarantined: TrialIndexSet(quarantinedEarlier),
                                   settings: options.settings, epoch: options.epoch ?? UInt64.random(in: 1...UInt64.max),
                                   now: clock.now())
        try store.logEvent(kind: alreadyDone > 0 ? "resume" : "start",
                           detail: "\(pending.count) of \(wanted.count) trials to run")

        context = try ZMQContext()
        if let keys = options.curve, let allowed = keys.allowedWorkerKeys {
            let log = options.log
            zap = try ZAPHandler(context: context, allowedPublicKeys: allowed) { decision in
                if decision.isFirstDenial { log?("refused worker key (logged once per key): \(decision.description)") }
            }
        } else {
            zap = nil
        }
        socket = try ZMQSocket(context: context, type: .router)
        try socket.set(.routerMandatory(true))
        try socket.set(.maxMessageSize(Int64(options.maxBodyBytes + 4096)))
        try socket.set(.receiveHighWaterMark(100_000))
        if let keys = options.curve {
            try socket.set(.curveServer(true))
            try socket.set(.curvePublicKey(keys.publicKey))
            try socket.set(.curveSecretKey(keys.secretKey))
        }
        try socket.bind(options.endpoint)
        endpoint = try socket.lastEndpoint
        options.log?("coordinator listening on \(endpoint); \(pending.count) of \(wanted.count) trials to run")
        options.onListening?(endpoint)
    }

    mutating func run() throws -> CoordinatorRunSummary {
        defer {
            socket.close()
            zap?.stop()
            store.close()
        }
        let poller = ZMQPoller([socket])
        let tickMilliseconds = max(1, Int(options.tickInterval * 1000))
        // The first tick announces completion of an already complete study.
        try execute(core.onTick(now: clock.now()))
        while true {
            if complete && options.stopWhenComplete {
                try execute(core.shutdownAll(now: clock.now()))
                try farewell()
                return finish(.complete, reason: nil)
            }
            if let reason = options.stop?.reason {
                try commitPending()
                if options.shutdownWorkersOnStop {
                    try execute(core.shutdownAll(now: clock.now()))
                    try farewell()
                }
                try? store.logEvent(kind: "stop", detail: reason)
                return finish(.stopped, reason: reason)
            }
            let commitDue = commits.secondsUntilDue(now: clock.now()).map { Int(($0 * 1000).rounded(.up)) }
            let readable = try poller.readable(timeoutMilliseconds: min(tickMilliseconds, commitDue ?? tickMilliseconds))
            if !readable.isEmpty { try receiveWaiting(limit: 10_000) }
            // Commit once nothing more is waiting: the batch is what arrived while the last commit and these
            // messages were being handled (under load that is many results per fsync; a lone worker is not kept
            // waiting for the delay). `maxDelaySeconds` bounds the wait inside a long burst.
            try commitPending()
            if clock.now() - lastTick >= options.tickInterval { try tick() }
            try reportSendFailures()
        }
    }

    /// Serves the core's farewell (after `shutdownAll`): hands every message to the core, which answers with
    /// `shutdown` once per worker and records nothing, until the farewell is over.
    mutating func farewell() throws {
        let poller = ZMQPoller([socket])
        while let ends = core.farewellEnds, !core.isFarewellOver(now: clock.now()) {
            let wait = max(1, Int(((ends - clock.now()) * 1000).rounded(.up)))
            guard try !poller.readable(timeoutMilliseconds: min(wait, 100)).isEmpty else { continue }
            while let received = try? socket.tryReceiveWithUserID(maxFrames: 8) {
                try receive(received.frames, peerKey: received.userID)
            }
        }
    }

    /// Handles up to `limit` waiting messages (ticking in between when due).
    mutating func receiveWaiting(limit: Int) throws {
        var handled = 0
        while handled < limit {
            let received: (frames: [[UInt8]], userID: String?)?
            do {
                received = try socket.tryReceiveWithUserID(maxFrames: 8)
            } catch let error as ZMQError where error.code == EMSGSIZE {
                try execute(core.onUndecodable(from: WorkerID("?"), error: .oversizedBody(bytes: -1, limit: options.maxBodyBytes),
                                               now: clock.now()))
                continue
            }
            guard let received else { return }
            handled += 1
            try receive(received.frames, peerKey: received.userID)
            if commits.isDue(now: clock.now()) { try commitPending() }
            if clock.now() - lastTick >= options.tickInterval { try tick() }
        }
    }

    /// Tells the core about workers that could not be reached, but only after reading every message
    /// already waiting: a worker that said goodbye and closed its connection is unreachable before its
    /// last messages (results, goodbye) have been read, and those must count first.
    mutating func reportSendFailures() throws {
        var rounds = 0
        while !unreachableOrder.isEmpty, rounds < 100 {
            rounds += 1
            try receiveWaiting(limit: 10_000)
            let workers = unreachableOrder
            let messages = unreachable
            unreachableOrder.removeAll()
            unreachable.removeAll()
            for worker in workers {
                try execute(core.onSendFailed(to: worker, undelivered: messages[worker] ?? [], now: clock.now()))
            }
        }
    }

    mutating func receive(_ frames: [[UInt8]], peerKey: String?) throws {
        guard let identity = frames.first else { return }
        let worker = WorkerID(identity)
        let now = clock.now()
        let message: Message
        do {
            message = try codec.decode(Array(frames.dropFirst()))
        } catch {
            try execute(core.onUndecodable(from: worker, error: error, now: now))
            return
        }
        try execute(core.onMessage(from: worker, message, now: now, peerKey: peerKey.map { "key \($0)" }))
    }

    /// Commits pending results, then carries out what waited for them.
    mutating func commitPending() throws {
        try execute(commits.commit())
    }

    mutating func tick() throws {
        try commitPending()
        let now = clock.now()
        lastTick = now
        try execute(core.onTick(now: now))
        if now - lastProgress >= options.progressInterval {
            lastProgress = now
            report(state: .running, now: now)
        }
    }

    func report(state: RunState, now: Double) {
        let status = core.status(now: now)
        options.progress?(status)
        if let path = options.statusPath {
            let report = CoordinatorStatusReport(state: state, endpoint: endpoint,
                                                 pid: ProcessInfo.processInfo.processIdentifier,
                                                 updatedAt: Date().timeIntervalSince1970, status: status)
            do { try report.write(to: path) } catch { options.log?("cannot write \(path): \(error)") }
        }
    }

    mutating func finish(_ ending: CoordinatorRunSummary.Ending, reason: String?) -> CoordinatorRunSummary {
        let now = clock.now()
        report(state: ending == .complete ? .complete : .stopped, now: now)
        // Give the shutdown messages a moment to leave before the socket closes.
        try? socket.set(.linger(500))
        return CoordinatorRunSummary(ending: ending, stopReason: reason, endpoint: endpoint,
                                     status: core.status(now: now), completionSeconds: completionSeconds,
                                     quarantined: quarantined, quarantinedEarlier: quarantinedEarlier)
    }

    /// Executes directives in order; a failed commit throws before any later directive runs.
    mutating func execute(_ directives: [Directive]) throws {
        for directive in directives {
            if commits.hasPending, directive.waitsForCommit {
                commits.defer(directive)
                continue
            }
            switch directive {
            case .send(let worker, let message):
                if !send(message, to: worker) {
                    if unreachable[worker] == nil { unreachableOrder.append(worker) }
                    unreachable[worker, default: []].append(message)
                }
            case .persist(_, let worker, let results):
                let build = core.announcement(of: worker).map {
                    BuildIdentity(version: $0.workerVersion, fingerprint: $0.numericsFingerprint ?? "")
                }
                commits.add(.init(results: results, worker: worker.description, build: build), now: clock.now())
            case .log(let event):
                log(event)
            case .quarantine(let report):
                quarantined.append(report)
                var peers: [String] = []
                for failure in report.failures where !peers.contains(failure.peer ?? failure.workerAddress) {
                    peers.append(failure.peer ?? failure.workerAddress)
                }
                try store.quarantine([QuarantinedTrial(trial: report.trial, reason: report.failures.last?.reason ?? "",
                                                       hosts: peers, attempts: report.failures.count)])
            case .studyComplete(let status):
                if let nextRound = options.nextRound {
                    let recorded = try store.recordedTrials()
                    let more = try nextRound(store).filter {
                        !recorded.contains($0) && !core.completed.contains($0) && !core.quarantined.contains($0)
                    }
                    if !more.isEmpty {
                        let detail = "\(more.count) more trials (\(status.done) done so far)"
                        options.log?("next round: \(detail)")
                        try? store.logEvent(kind: "round", detail: detail)
                        try execute(core.addTrials(more, now: clock.now()))
                        continue
                    }
                }
                complete = true
                completionSeconds = status.elapsedSeconds
                options.log?("study complete: \(status.progressLine)")
                try? store.logEvent(kind: "complete", detail: status.progressLine)
            }
        }
    }

    /// False when the worker is unreachable (EHOSTUNREACH); other failures are logged.
    func send(_ message: Message, to worker: WorkerID) -> Bool {
        do {
            let frames = try codec.encode(message)
            if try !socket.trySend([worker.bytes] + frames) {
                options.log?("send queue to worker \(worker) full; dropped \(message.typeName)")
            }
            return true
        } catch let error as ZMQError where error.isHostUnreachable {
            return false
        } catch {
            options.log?("cannot send \(message.typeName) to worker \(worker): \(error)")
            return true
        }
    }

    mutating func log(_ event: CoordinatorEvent) {
        switch event {
        case .rejected(let worker, _), .duplicateDropped(_, let worker), .peerRefused(let worker, _),
             .workerRefused(let worker, _):
            // Hostile or buggy peers can flood these: rate-limited per peer and overall, never stored.
            if rejectionLog.shouldLog(peer: worker, now: clock.now()) {
                let skipped = rejectionLog.takeSuppressed()
                options.log?("\(event)\(skipped > 0 ? " (\(skipped) similar line(s) suppressed)" : "")")
            }
        case .taskRequeued:
            options.log?(event.description)
        default:
            options.log?(event.description)
            try? store.logEvent(kind: Self.kind(event), detail: event.description)
        }
    }

    static func kind(_ event: CoordinatorEvent) -> String {
        switch event {
        case .workerJoined: "worker_joined"
        case .workerRejoined: "worker_rejoined"
        case .workerLeft: "worker_left"
        case .workerLeaving: "worker_leaving"
        case .workerLost: "worker_lost"
        case .leaseExpired: "lease_expired"
        case .taskFailed: "task_failed"
        case .taskRequeued: "task_requeued"
        case .rejected: "rejected"
        case .duplicateDropped: "duplicate"
        case .trialQuarantined: "quarantine"
        case .peerShutOut: "peer_shut_out"
        case .peerRefused: "peer_refused"
        case .workerRefused: "worker_refused"
        }
    }
}

private extension Directive {
    /// Sends go out (and results join the pending group) before pending results are committed; every
    /// other directive (logs, quarantines, completion) waits for the commit.
    var waitsForCommit: Bool {
        switch self {
        case .send, .persist: false
        default: true
        }
    }
}

import Foundation
import GFMCCoordination
import GFMCLinearAlgebra
import GFMCTransport

/// CURVE settings of a worker: the coordinator's public key and this worker's key pair (Z85).
public struct WorkerCurveKeys: Sendable {
    public var serverPublicKey: String
    public var publicKey: String
    public var secretKey: String

    public init(serverPublicKey: String, publicKey: String, secretKey: String) {
        self.serverPublicKey = serverPublicKey
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// Everything `WorkerRuntime.run` needs. Times are seconds.
public struct WorkerOptions: Sendable {
    /// The coordinator's endpoint, e.g. `tcp://host:5555`.
    public var endpoint: String
    /// Engine threads (each computes one task at a time); also the credits announced. ≥ 1.
    public var slots: Int
    public var executor: any TrialExecutor
    /// Reported in `ready` (logs only).
    public var workerVersion: String = "gfmc"
    /// This build's numerics fingerprint (`NumericsFingerprint`), sent with `ready`; nil sends none.
    public var numericsFingerprint: String? = nil
    /// ROUTER identity prefix; default "host-pid". A random suffix is always appended.
    public var identity: String? = nil
    /// Heartbeat period toward the coordinator. Default 1 s.
    public var heartbeatInterval: Double = 1
    /// Nothing heard from the coordinator for this long → announce again (`ready`) with back-off
    /// starting at `heartbeatInterval` and doubling up to `reannounceBackoffMax`. Defaults 5 s, 30 s.
    public var coordinatorSilenceTimeout: Double = 5
    public var reannounceBackoffMax: Double = 30
    /// On a stop request (SIGTERM): how long running tasks may still finish before the worker hands
    /// them back and exits. Default 30 s.
    public var shutdownGraceSeconds: Double = 30
    /// Exit when no coordinator was heard for this long (nil = keep trying forever, the default for
    /// `gfmc worker`; `gfmc run` sets it for its local workers).
    public var giveUpAfterSeconds: Double? = nil
    public var maxBodyBytes: Int = WireCodec.defaultMaxBodyBytes
    /// Set by signal handlers (or tests) to stop gracefully.
    public var stop: StopFlag? = nil
    public var curve: WorkerCurveKeys? = nil
    /// Log lines (joins, failures, reconnects). Called on the socket thread.
    public var log: (@Sendable (String) -> Void)? = nil

    public init(endpoint: String, slots: Int = 1, executor: any TrialExecutor) {
        self.endpoint = endpoint
        self.slots = slots
        self.executor = executor
    }
}

/// What a worker did before it returned.
public struct WorkerRunSummary: Sendable, Equatable {
    public enum Ending: String, Sendable {
        /// The coordinator sent `shutdown`.
        case shutdown
        /// A stop was requested (signal); tasks were finished or handed back with `goodbye`.
        case stopped
        /// No coordinator heard for `giveUpAfterSeconds`.
        case gaveUp
    }

    public var ending: Ending
    public var tasksCompleted: Int
    public var trialsCompleted: Int
    public var tasksFailed: Int
    /// Tasks listed in the final `goodbye`.
    public var tasksReturned: Int
    /// Times the worker announced itself (`ready`), including the first.
    public var announcements: Int
}

/// The worker process's main loop: a DEALER socket (`ZMQ_IMMEDIATE`, reconnect back-off 100 ms…5 s)
/// on the calling thread, `slots` engine threads with BLAS pinned to one thread, heartbeats, and
/// re-announcement when the coordinator restarts or falls silent. See docs/protocol.md.
public enum WorkerRuntime {
    /// Runs until the coordinator sends `shutdown`, a stop is requested, or (optionally) no
    /// coordinator was heard for `giveUpAfterSeconds`.
    /// - Throws: `ZMQError` if the socket cannot be set up (bad endpoint, bad keys); `WorkerOptionsError`;
    ///   `HandshakeRefusal` (within seconds) when the coordinator refuses the security handshake.
    public static func run(_ options: WorkerOptions) throws -> WorkerRunSummary {
        guard options.slots >= 1 else { throw WorkerOptionsError(message: "slots must be ≥ 1 (got \(options.slots))") }
        var loop = try WorkerLoop(options)
        return try loop.run()
    }
}

public struct WorkerOptionsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "worker options: \(message)" }
}

/// The worker cannot compute the coordinator's study (the executor's `prepare` threw, e.g. a data
/// file missing on this machine). The worker says goodbye and stops rather than failing — and so
/// eventually quarantining — every trial it would be given.
public struct WorkerStudyError: Error, Sendable, CustomStringConvertible {
    public var studyHash: String
    public var message: String
    public var description: String { "cannot prepare study \(studyHash): \(message)" }
}

/// The coordinator refused this worker (`refused` message): a different gfmc version or numerics
/// fingerprint, or its peer was shut out. Restarting does not help; `gfmc worker` exits `exitCode`.
public struct WorkerRefusedError: Error, Sendable, CustomStringConvertible {
    /// Exit status of `gfmc worker` when the coordinator refused it.
    public static let exitCode: Int32 = 7
    /// The coordinator's reason.
    public var reason: String
    public var description: String { "the coordinator refused this worker: \(reason)" }
}

/// The socket thread's state. Owns the sockets for its whole life.
private struct WorkerLoop {
    let options: WorkerOptions
    let clock = MonotonicClock()
    let codec: WireCodec
    let context: ZMQContext
    let socket: ZMQSocket
    let wake: ZMQSocket
    /// Reports a refused handshake (key not authorized, wrong server key, CURVE on one side only).
    let handshakes: HandshakeWatch
    let pool: EnginePool
    let host: String
    let pid: Int32

    var generation = 0
    var welcomed: StudyWelcome?
    var prepared: (hash: String, study: any PreparedStudy)?
    var lastHeard: Double
    var lastSent = -Double.infinity
    var lastReady = -Double.infinity
    var readyPending = true
    var backoff: Double
    var outbox: [Message] = []
    var draining: (since: Double, returned: [TaskID])?
    var summary = WorkerRunSummary(ending: .shutdown, tasksCompleted: 0, trialsCompleted: 0, tasksFailed: 0,
                                   tasksReturned: 0, announcements: 0)
    var decodeErrors = 0

    init(_ options: WorkerOptions) throws {
        self.options = options
        codec = WireCodec(maxBodyBytes: options.maxBodyBytes)
        host = ProcessInfo.processInfo.hostName
        pid = ProcessInfo.processInfo.processIdentifier
        BLASThreads.set(1)
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let prefix = options.identity ?? "\(host)-\(pid)"
        try socket.set(.routingID(Array("\(prefix.prefix(200))-\(suffix)".utf8)))
        try socket.set(.immediate(true))
        try socket.set(.reconnectInterval(100))
        try socket.set(.reconnectIntervalMax(5000))
        try socket.set(.maxMessageSize(Int64(options.maxBodyBytes + 4096)))
        if let keys = options.curve {
            try socket.set(.curveServerKey(keys.serverPublicKey))
            try socket.set(.curvePublicKey(keys.publicKey))
            try socket.set(.curveSecretKey(keys.secretKey))
        }
        handshakes = try HandshakeWatch(socket: socket, diagnoser: HandshakeDiagnoser(
            endpoint: options.endpoint, clientPublicKey: options.curve?.publicKey))
        try socket.connect(options.endpoint)
        wake = try ZMQSocket(context: context, type: .dealer)
        let wakeEndpoint = "inproc://gfmc-worker-wake-\(UUID().uuidString)"
        try wake.bind(wakeEndpoint)
        pool = EnginePool(slots: options.slots, context: context, wakeEndpoint: wakeEndpoint)
        lastHeard = 0
        backoff = options.heartbeatInterval
    }

    func log(_ line: String) { options.log?(line) }

    mutating func run() throws -> WorkerRunSummary {
        defer {
            pool.stop()
            handshakes.stop()
            socket.close()
            wake.close()
        }
        let poller = ZMQPoller([socket, wake])
        while true {
            let now = clock.now()
            if let reason = options.stop?.reason, draining == nil {
                // Hand back what has not started at once (the coordinator then sends no new tasks);
                // finish what is running.
                let queued = pool.removeQueued().map(\.taskID)
                draining = (now, [])
                summary.tasksReturned += queued.count
                if welcomed != nil {
                    send(.goodbye(WorkerGoodbye(returnedTaskIDs: queued, finishingTaskIDs: pool.runningTaskIDs)))
                }
                log("stopping (\(reason)): handed back \(queued.count) queued task(s), finishing \(pool.runningTaskIDs.count) running")
            }
            if let drain = draining, pool.idle || now - drain.since > options.shutdownGraceSeconds {
                collectCompletions()
                flushOutbox()
                let returned = drain.returned + pool.runningTaskIDs + pool.removeQueued().map(\.taskID)
                summary.tasksReturned += returned.count
                if welcomed != nil { send(.goodbye(WorkerGoodbye(returnedTaskIDs: returned, finishingTaskIDs: []))) }
                summary.ending = .stopped
                lingerBriefly()
                return summary
            }
            if let limit = options.giveUpAfterSeconds, now - lastHeard > limit {
                log("no coordinator heard for \(Int(limit)) s; giving up")
                summary.ending = .gaveUp
                return summary
            }

            let readable = try poller.readable(timeoutMilliseconds: 50)
            if let refusal = handshakes.refusal { throw refusal }
            if readable.contains(1) { while (try? wake.tryReceive(maxFrames: 4)) ?? nil != nil {} }
            if readable.contains(0) {
                var handled = 0
                while handled < 1000, let frames = try socket.tryReceive(maxFrames: 8) {
                    handled += 1
                    if try handle(frames) { lingerBriefly(); return summary }
                }
            }
            collectCompletions()
            let later = clock.now()
            if readyPending || (later - lastHeard > options.coordinatorSilenceTimeout && later - lastReady >= backoff) {
                if !readyPending {
                    log("coordinator silent for \(Int(later - lastHeard)) s; announcing again")
                    backoff = min(backoff * 2, options.reannounceBackoffMax)
                }
                announce(now: later)
            }
            flushOutbox()
            if later - lastSent >= options.heartbeatInterval, !readyPending {
                send(.heartbeat)
            }
        }
    }

    /// Returns true when the worker must exit (shutdown).
    mutating func handle(_ frames: [[UInt8]]) throws -> Bool {
        let message: Message
        do {
            message = try codec.decode(frames)
        } catch {
            decodeErrors += 1
            if decodeErrors <= 10 || decodeErrors % 1000 == 0 { log("ignored undecodable message: \(error)") }
            return false
        }
        lastHeard = clock.now()
        switch message {
        case .welcome(let study):
            welcomed = study
            backoff = options.heartbeatInterval
            if prepared?.hash != study.studyHash {
                do {
                    prepared = (study.studyHash, try options.executor.prepare(study))
                    log("study \(study.studyHash.prefix(12)) prepared")
                } catch {
                    log("study \(study.studyHash.prefix(12)) cannot be prepared: \(error); leaving")
                    send(.goodbye(WorkerGoodbye(returnedTaskIDs: [], finishingTaskIDs: [])))
                    lingerBriefly()
                    throw WorkerStudyError(studyHash: study.studyHash, message: "\(error)")
                }
            }
        case .task(let task):
            if var drain = draining {
                drain.returned.append(task.taskID)
                draining = drain
            } else if let prepared, prepared.hash == task.studyHash, welcomed?.studyHash == task.studyHash {
                pool.enqueue(EnginePool.Job(taskID: task.taskID, studyHash: task.studyHash, trials: task.trials,
                                            study: prepared.study, generation: generation))
            } else {
                let reason = "task for study \(task.studyHash) but the worker was welcomed to \(welcomed?.studyHash ?? "none")"
                outbox.append(.taskFailed(TaskFailure(taskID: task.taskID, reason: reason)))
            }
        case .cancel(let cancel):
            pool.cancel(cancel.taskID)
            if var drain = draining {
                drain.returned.removeAll { $0 == cancel.taskID }
                draining = drain
            }
        case .heartbeat:
            break
        case .shutdown:
            log("coordinator sent shutdown")
            summary.ending = .shutdown
            return true
        case .refused(let refusal):
            log("refused by the coordinator: \(String(refusal.reason.prefix(2000)))")
            _ = pool.removeQueued()
            throw WorkerRefusedError(reason: String(refusal.reason.prefix(2000)))
        case .reannounce:
            log("coordinator does not know this worker (restarted?); announcing again")
            announce(now: clock.now())
        case .ready, .result, .taskFailed, .goodbye:
            log("ignored a worker-side message \"\(message.typeName)\" from the coordinator")
        }
        return false
    }

    /// Starts a new session: tasks of the old one are dropped (queued) or their results discarded
    /// (running), since the coordinator requeued them.
    mutating func announce(now: Double) {
        generation += 1
        _ = pool.removeQueued()
        outbox.removeAll()
        welcomed = nil
        lastReady = now
        if draining != nil { readyPending = false; return }
        let ready = Message.ready(WorkerAnnouncement(credits: options.slots, slots: options.slots, host: host,
                                                     pid: pid, workerVersion: options.workerVersion,
                                                     numericsFingerprint: options.numericsFingerprint))
        readyPending = !send(ready)
        if !readyPending { summary.announcements += 1 }
    }

    mutating func collectCompletions() {
        for completion in pool.takeCompletions() {
            guard completion.job.generation == generation, !completion.cancelled else { continue }
            if var drain = draining, drain.returned.contains(completion.job.taskID) {
                drain.returned.removeAll { $0 == completion.job.taskID }
                draining = drain
            }
            switch completion.outcome {
            case .success(let results, let seconds):
                summary.tasksCompleted += 1
                summary.trialsCompleted += results.count
                outbox.append(.result(TaskResult(taskID: completion.job.taskID, studyHash: completion.job.studyHash,
                                                 results: results, trialSeconds: seconds)))
            case .failure(let reason):
                summary.tasksFailed += 1
                log("\(completion.job.taskID) failed: \(reason)")
                outbox.append(.taskFailed(TaskFailure(taskID: completion.job.taskID, reason: reason)))
            }
        }
    }

    /// Sends queued results in order; stops at the first that cannot be queued (not connected).
    mutating func flushOutbox() {
        while let message = outbox.first {
            guard send(message) else { return }
            outbox.removeFirst()
        }
    }

    /// Non-blocking send; false when not connected / queue full (nothing sent).
    @discardableResult
    mutating func send(_ message: Message) -> Bool {
        do {
            let frames = try codec.encode(message)
            guard try socket.trySend(frames) else { return false }
            lastSent = clock.now()
            return true
        } catch {
            log("cannot send \(message.typeName): \(error)")
            return false
        }
    }

    /// Gives libzmq a moment to transmit the last messages before the socket closes.
    func lingerBriefly() {
        try? socket.set(.linger(1000))
    }
}

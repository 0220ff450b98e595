import Foundation
import GFMCCoordination
import GFMCLinearAlgebra
import GFMCConcurrency
import GFMCTransport

/// CURVE settings of a worker: the coordinator's public key and this worker's key pair (Z85).
public typealias WorkerCurveKeys = ZMQDealerTransport.CurveClientKeys

/// Everything `WorkerRuntime.run` needs. Times are seconds.
public struct WorkerOptions: Sendable {
    /// The coordinator's endpoint, e.g. `tcp://host:5555`.
    public var endpoint: String
    /// Engine threads (each computes one task at a time). ≥ 1.
    public var slots: Int
    /// Tasks held queued per slot beyond those computing (`WorkerSettings.prefetchPerSlot`): 0…4, default 1.
    public var prefetchPerSlot: Int = 1
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
    /// Where the runtime reads the time (heartbeats, silence, back-off, grace). Default: the system's
    /// monotonic clock.
    public var clock: any MonotonicClockSource = MonotonicClock()
    /// Log lines (joins, failures, reconnects). Called on the message thread.
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

/// The worker process's shell around `WorkerCore`: a `MessageTransport` (by default a ZeroMQ DEALER,
/// `ZMQDealerTransport`) on the calling thread, `slots` engine threads with BLAS pinned to one thread, and
/// study preparation on a thread of its own, so heartbeats go on while a slow study builds its data.
/// Every protocol decision is `WorkerCore`'s. See docs/protocol.md.
public enum WorkerRuntime {
    /// Runs until the coordinator sends `shutdown`, a stop is requested, or (optionally) no
    /// coordinator was heard for `giveUpAfterSeconds`.
    /// - Throws: `ZMQError` if the socket cannot be set up (bad endpoint, bad keys); `WorkerOptionsError`;
    ///   `HandshakeRefusal` (within seconds) when the coordinator refuses the security handshake;
    ///   `WorkerRefusedError`; `WorkerStudyError`.
    public static func run(_ options: WorkerOptions) throws -> WorkerRunSummary {
        try validate(options)
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let prefix = options.identity ?? "\(host)-\(pid)"
        let transport = try ZMQDealerTransport(
            endpoint: options.endpoint, routingID: Array("\(prefix.prefix(200))-\(suffix)".utf8),
            maxMessageBytes: options.maxBodyBytes + 4096,
            curve: options.curve)
        return try run(options, transport: transport)
    }

    /// Runs over `transport` (closed on return); `options.endpoint`, `identity` and `curve` are not used.
    public static func run(_ options: WorkerOptions, transport: any MessageTransport) throws -> WorkerRunSummary {
        do {
            try validate(options)
        } catch {
            transport.close(linger: .zero)
            throw error
        }
        var loop = try WorkerLoop(options, transport: transport)
        return try loop.run()
    }

    private static func validate(_ options: WorkerOptions) throws {
        guard options.slots >= 1 else { throw WorkerOptionsError(message: "slots must be ≥ 1 (got \(options.slots))") }
        do {
            try settings(options).validate()
        } catch {
            throw WorkerOptionsError(message: error.message)
        }
    }

    static func settings(_ options: WorkerOptions) -> WorkerSettings {
        var settings = WorkerSettings(slots: options.slots)
        settings.prefetchPerSlot = options.prefetchPerSlot
        settings.heartbeatInterval = options.heartbeatInterval
        settings.coordinatorSilenceTimeout = options.coordinatorSilenceTimeout
        settings.reannounceBackoffMax = options.reannounceBackoffMax
        settings.shutdownGraceSeconds = options.shutdownGraceSeconds
        settings.giveUpAfterSeconds = options.giveUpAfterSeconds
        return settings
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

/// The message thread's state: executes `WorkerCore`'s directives on the transport, the engine pool and
/// the preparation threads, and feeds their outcomes back with the time.
private struct WorkerLoop {
    /// Studies prepared (or that failed to) on their own threads, waiting to be reported to the core.
    typealias Preparations = LockedValue<[(hash: String, outcome: Result<any PreparedStudy, Error>)]>

    let options: WorkerOptions
    let clock: ClockSeconds
    let codec: WireCodec
    let transport: any MessageTransport
    let pool: EnginePool
    let preparations = Preparations([])
    var core: WorkerCore
    /// The latest study prepared successfully.
    var prepared: (hash: String, study: any PreparedStudy)?
    var exit: WorkerExit?

    init(_ options: WorkerOptions, transport: any MessageTransport) throws {
        self.options = options
        self.transport = transport
        clock = ClockSeconds(source: options.clock)
        codec = WireCodec(maxBodyBytes: options.maxBodyBytes)
        BLASThreads.set(1)
        let announcement = WorkerAnnouncement(
            credits: options.slots, slots: options.slots, host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier, workerVersion: options.workerVersion,
            numericsFingerprint: options.numericsFingerprint)
        do {
            core = try WorkerCore(settings: WorkerRuntime.settings(options), announcement: announcement, now: clock.now())
        } catch {
            transport.close(linger: .zero)
            throw WorkerOptionsError(message: error.message)
        }
        pool = EnginePool(slots: options.slots, onCompletion: { [transport] in transport.wake() })
    }

    func log(_ line: String) { options.log?(line) }

    mutating func run() throws -> WorkerRunSummary {
        defer { pool.stop() }
        var stopReported = false
        do {
            while exit == nil {
                if !stopReported, let reason = options.stop?.reason {
                    stopReported = true
                    execute(core.onStopRequested(reason: reason, now: clock.now()))
                    if exit != nil { break }
                }
                if clock.now() >= core.nextTick() { execute(core.onTick(now: clock.now())) }
                if exit != nil { break }
                // Wait for a message, a completion (wake) or the next tick; at most 50 ms, so a stop
                // request is seen quickly.
                let wait = min(max(core.nextTick() - clock.now(), 0), 0.05)
                if let frames = try transport.receive(timeout: .nanoseconds(Int64(wait * 1e9))) {
                    handle(frames)
                    var handled = 1
                    while exit == nil, handled < 1000, let more = try transport.receive(timeout: .zero) {
                        handle(more)
                        handled += 1
                    }
                }
                if exit == nil { collectPreparations() }
                if exit == nil { collectCompletions() }
            }
        } catch {
            transport.close(linger: .zero)
            throw error
        }
        let counts = core.counts
        var summary = WorkerRunSummary(ending: .shutdown, tasksCompleted: counts.tasksCompleted,
                                       trialsCompleted: counts.trialsCompleted, tasksFailed: counts.tasksFailed,
                                       tasksReturned: counts.tasksReturned, announcements: counts.announcements)
        switch exit {
        case .shutdown?, nil:
            transport.close(linger: .seconds(1))
        case .stopped?:
            summary.ending = .stopped
            transport.close(linger: .seconds(1))
        case .gaveUp?:
            summary.ending = .gaveUp
            transport.close(linger: .zero)
        case .refused(let reason)?:
            transport.close(linger: .zero)
            throw WorkerRefusedError(reason: reason)
        case .studyUnpreparable(let hash, let reason)?:
            transport.close(linger: .seconds(1))
            throw WorkerStudyError(studyHash: hash, message: reason)
        }
        return summary
    }

    mutating func handle(_ frames: [[UInt8]]) {
        let message: Message
        do {
            message = try codec.decode(frames)
        } catch {
            execute(core.onUndecodable(detail: "\(error)", now: clock.now()))
            return
        }
        execute(core.onMessage(message, now: clock.now()))
    }

    mutating func collectPreparations() {
        let done = preparations.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for (hash, outcome) in done {
            switch outcome {
            case .success(let study):
                prepared = (hash, study)
                execute(core.onPrepared(studyHash: hash, failure: nil, now: clock.now()))
            case .failure(let error):
                execute(core.onPrepared(studyHash: hash, failure: "\(error)", now: clock.now()))
            }
        }
    }

    mutating func collectCompletions() {
        for completion in pool.takeCompletions() {
            execute(core.onComputed(job: completion.job, completion.outcome, now: clock.now()))
        }
    }

    mutating func execute(_ directives: [WorkerDirective]) {
        for directive in directives {
            guard exit == nil else { return }
            switch directive {
            case .send(let message):
                if !send(message) { execute(core.onSendFailed(message, now: clock.now())) }
            case .prepare(let welcome):
                let executor = options.executor
                let preparations = preparations
                let transport = transport
                _ = BackgroundThread<Void>("gfmc-prepare") {
                    let outcome = Result { try executor.prepare(welcome) }
                    preparations.withLock { $0.append((welcome.studyHash, outcome)) }
                    transport.wake()
                }
            case .compute(let job, let task):
                if let prepared, prepared.hash == task.studyHash {
                    pool.enqueue(EnginePool.Job(id: job, trials: task.trials, study: prepared.study))
                } else {
                    execute(core.onComputed(job: job, .failure(reason: "study \(task.studyHash) is not prepared"),
                                            now: clock.now()))
                }
            case .log(let event):
                log(event.description)
            case .exit(let ending):
                exit = ending
            }
        }
    }

    /// Non-blocking send; false when the transport cannot take it now (nothing sent).
    func send(_ message: Message) -> Bool {
        do {
            return try transport.trySend(try codec.encode(message))
        } catch {
            log("cannot send \(message.typeName): \(error)")
            return true  // not retried: the same message would fail again
        }
    }
}

import Foundation
import GFMCCoordination
import GFMCModel
import GFMCStore
import GFMCTransport

/// The coordinator process's main loop, a thin shell: a `RouterTransport` (`CoordinatorOptions.transport()`)
/// waited on until the core's `nextTick()`, the pure `CoordinatorCore` for every
/// decision (including the farewell after `shutdownAll` and when to tick), and the `StudyStore` as the
/// journal. Accepted results are committed durably in groups (`GroupCommit`); everything that counts or
/// reports them (logs, quarantines, completion, status) waits for their commit, while task sends go out
/// at once (no message tells a worker its result is stored), so a crash at any moment loses at most
/// work that will be redone. See docs/protocol.md.
public enum CoordinatorRuntime {
    /// Serves the study until it is complete (if `stopWhenComplete`) or a stop is requested.
    /// - Throws: `StoreError.studyMismatch` (with the stored study's JSON) when the store belongs to
    ///   another study; other `StoreError`s (e.g. a failed commit: the run stops, a restart resumes);
    ///   `ZMQError` when binding fails (or what `makeTransport` throws); `CoordinatorSettingsError`.
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
    let transport: any RouterTransport
    let endpoint: String
    /// How long queued messages may still leave when the transport closes (a normal ending lets the
    /// `shutdown` messages go; an error closes at once).
    var closingLinger: Duration = .zero
    var core: CoordinatorCore
    var quarantined: [QuarantineReport] = []
    var quarantinedEarlier: [TrialID] = []
    var completionSeconds: Double?
    var complete = false
    var rejectionLog = RejectionLogLimiter()
    var lastProgress = -Double.infinity
    /// Messages that could not be sent (the transport found no such peer), per worker, reported by
    /// `reportSendFailures`.
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

        transport = try options.transport()
        endpoint = transport.endpoint
        options.log?("coordinator listening on \(endpoint); \(pending.count) of \(wanted.count) trials to run")
        options.onListening?(endpoint)
    }

    mutating func run() throws -> CoordinatorRunSummary {
        defer {
            transport.close(linger: closingLinger)
            store.close()
        }
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
            // Sleep until the core's next tick, the group commit or the next progress report is due, or a
            // message arrives (at most `stopCheckInterval`, so a stop request is seen).
            let now = clock.now()
            var wait = min(core.nextTick() - now, lastProgress + options.progressInterval - now, options.stopCheckInterval)
            if let commitDue = commits.secondsUntilDue(now: now) { wait = min(wait, commitDue) }
            if let receipt = try transport.receive(timeout: Self.duration(wait)) {
                try handle(receipt)
                try receiveWaiting(limit: 10_000)
            }
            // Commit once nothing more is waiting: the batch is what arrived while the last commit and these
            // messages were being handled (under load that is many results per fsync; a lone worker is not kept
            // waiting for the delay). `maxDelaySeconds` bounds the wait inside a long burst.
            try commitPending()
            if clock.now() >= core.nextTick() { try tick() }
            reportProgressIfDue()
            try reportSendFailures()
        }
    }

    /// A wait in seconds as a `Duration` (negative: zero; rounded up to whole nanoseconds).
    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((max(0, min(seconds, 86_400)) * 1e9).rounded(.up)))
    }

    /// Serves the core's farewell (after `shutdownAll`): hands every message to the core, which answers with
    /// `shutdown` once per worker and records nothing, until the farewell is over.
    mutating func farewell() throws {
        while let ends = core.farewellEnds, !core.isFarewellOver(now: clock.now()) {
            if let receipt = try transport.receive(timeout: Self.duration(ends - clock.now())) { try handle(receipt) }
        }
    }

    /// Handles up to `limit` waiting messages (committing and ticking in between when due).
    mutating func receiveWaiting(limit: Int) throws {
        var handled = 0
        while handled < limit, let receipt = try transport.receive(timeout: .zero) {
            handled += 1
            try handle(receipt)
            if commits.isDue(now: clock.now()) { try commitPending() }
            if clock.now() >= core.nextTick() { try tick() }
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

    /// Decodes what the transport received and hands it to the core.
    mutating func handle(_ receipt: RouterReceipt) throws {
        switch receipt {
        case .oversized(let peer):
            try execute(core.onUndecodable(from: WorkerID(peer), error: .oversizedBody(bytes: -1, limit: options.maxBodyBytes),
                                           now: clock.now()))
        case .message(let peer, let frames, let userID):
            try receive(frames, from: WorkerID(peer), peerKey: userID)
        }
    }

    mutating func receive(_ frames: [[UInt8]], from worker: WorkerID, peerKey: String?) throws {
        let now = clock.now()
        let message: Message
        do {
            message = try codec.decode(frames)
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
        try execute(core.onTick(now: clock.now()))
    }

    /// Progress callback and status file, every `progressInterval`.
    mutating func reportProgressIfDue() {
        let now = clock.now()
        guard now - lastProgress >= options.progressInterval else { return }
        lastProgress = now
        report(state: .running, now: now)
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
        // Give the shutdown messages a moment to leave before the transport closes.
        closingLinger = .milliseconds(500)
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

    /// False when the worker is unreachable; other failures are logged.
    func send(_ message: Message, to worker: WorkerID) -> Bool {
        do {
            switch try transport.send(codec.encode(message), to: worker.bytes) {
            case .sent:
                return true
            case .queueFull:
                options.log?("send queue to worker \(worker) full; dropped \(message.typeName)")
                return true
            case .unreachable:
                return false
            }
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

import GFMCCoordination
import GFMCModel
import GFMCStore
import GFMCTransport

/// CURVE settings of a coordinator: its key pair and, optionally, the allowlist of worker public
/// keys (enforced by a ZAP handler; without it any client that knows the server key gets in).
public typealias CoordinatorCurveKeys = ZMQRouterTransport.CurveServerKeys

/// Everything `CoordinatorRuntime.run` needs. Times are seconds.
public struct CoordinatorOptions: Sendable {
    /// Where the ROUTER binds, e.g. `tcp://*:5555` or `tcp://127.0.0.1:0` (ephemeral port, reported
    /// through `onListening` and in the status file). Not used with `makeTransport`.
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
    /// Longest wait for a message before the stop flag is looked at again (the core's `nextTick()`, the
    /// group commit and `progressInterval` decide every other wake-up). Default 0.1 s.
    public var stopCheckInterval: Double = 0.1
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
    /// CURVE for the default ZeroMQ transport; not used with `makeTransport`.
    public var curve: CoordinatorCurveKeys? = nil
    /// Makes the transport the coordinator serves on; called once, on the coordinator's thread, after the
    /// store is opened; the runtime closes it. nil (the default): a ZeroMQ ROUTER (`ZMQRouterTransport`)
    /// bound to `endpoint`, with `curve`, taking messages up to `maxBodyBytes` plus framing.
    public var makeTransport: (@Sendable () throws -> any RouterTransport)? = nil
    /// Log lines (joins, losses, rejections, quarantines). Called on the coordinator thread.
    public var log: (@Sendable (String) -> Void)? = nil
    /// Progress snapshots every `progressInterval` and once at the end.
    public var progress: (@Sendable (CoordinatorStatus) -> Void)? = nil
    /// Called once the transport is bound, with the real endpoint.
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

extension CoordinatorOptions {
    /// The transport the coordinator serves on: `makeTransport`'s, else a ZeroMQ ROUTER (`ZMQRouterTransport`)
    /// bound to `endpoint` with `curve`, taking messages up to `maxBodyBytes` plus 4 KiB of framing, whose ZAP
    /// allowlist logs each refused key once. Call it on the thread that will use the transport.
    func transport() throws -> any RouterTransport {
        if let makeTransport { return try makeTransport() }
        let log = log
        return try ZMQRouterTransport(endpoint: endpoint, maxMessageBytes: maxBodyBytes + 4096, curve: curve) { decision in
            if decision.isFirstDenial { log?("refused worker key (logged once per key): \(decision.description)") }
        }
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

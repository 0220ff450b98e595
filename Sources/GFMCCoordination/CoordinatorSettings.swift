/// Tunables of `CoordinatorCore`. All times are in seconds of the clock passed to the core's event
/// methods (a monotonic clock in the runtime, a fake clock in tests).
public struct CoordinatorSettings: Equatable, Sendable {
    /// The coordinator sends a `heartbeat` to a worker it has sent nothing else to for this long. Default 1 s.
    public var heartbeatInterval: Double = 1
    /// A worker from which nothing arrived for longer than this is declared dead; its leases are
    /// requeued (counted as a failed attempt of their trials). Default 5 s.
    public var workerSilenceTimeout: Double = 5
    /// Lease of a task = max(`minimumLease`, `leaseMultiplier` × expected task time). Defaults 10 s and 10.
    public var minimumLease: Double = 10
    public var leaseMultiplier: Double = 10
    /// Lease used while no trial of the task's width has been timed yet. Default 600 s (a first trial of
    /// a large width may be slow; a dead worker is still caught by `workerSilenceTimeout`).
    public var unmeasuredLease: Double = 600
    /// Failed attempts after which a trial is quarantined and never retried. Default 3.
    public var maxAttempts: Int = 3
    /// Desired wall time of one task. Default 1 s.
    public var targetTaskSeconds: Double = 1
    /// Bounds on the number of trials per task. Defaults 1 and 1000.
    public var minTrialsPerTask: Int = 1
    public var maxTrialsPerTask: Int = 1000
    /// Trials per task for a width whose trial time has not been measured yet. Default 2.
    public var initialTrialsPerTask: Int = 2
    /// Weight of the newest task's mean seconds-per-trial in the per-width moving average. Default 0.3.
    public var timingSmoothing: Double = 0.3
    /// Window over which the completion rate (trials/s) is measured. Default 30 s.
    public var rateWindow: Double = 30
    /// Hard cap on one worker's credits: a worker gets at most min(announced credits, announced slots ×
    /// `maxCreditsPerSlot`, this). Default 256.
    public var maxCreditsPerWorker: Int = 256
    /// Most credits per announced slot: the tasks a slot computes plus those a worker may hold queued for it
    /// (`WorkerSettings.prefetchPerSlot`). Queued tasks wait for their turn under a lease sized for the task
    /// alone (`leaseMultiplier` × its expected time), so this stays well below `leaseMultiplier`.
    /// Default 1 + `WorkerSettings.maxPrefetchPerSlot` = 5.
    public var maxCreditsPerSlot: Int = 1 + WorkerSettings.maxPrefetchPerSlot
    /// Credit window of a new session: a worker starts with at most this many tasks outstanding, and the
    /// window grows by one with every task whose result is accepted, up to its cap. Default 2.
    public var initialCredits: Int = 2
    /// A trial is quarantined only when its counted failed attempts (`maxAttempts`) come from at least
    /// this many distinct peers (CURVE key, else announced host). Default 2; 1 for a study whose workers
    /// are all trusted processes on one machine.
    public var quarantinePeers: Int = 2
    /// A peer whose sessions end this many times holding tasks without having returned a single result
    /// (it takes tasks and vanishes) is shut out for the rest of the run. Default 3.
    public var vanishStrikes: Int = 3
    /// After `shutdownAll`, the coordinator answers every worker message with one `shutdown` per worker for
    /// this long (results are no longer accepted), so a worker it had wrongly declared dead stops too. ≥ 0.
    /// Default 2 s.
    public var farewellSeconds: Double = 2
    /// Least time between two ticks `CoordinatorCore.nextTick()` asks for: one tick serves every deadline that
    /// falls within it, so the cost of ticking does not grow with the number of workers' deadlines. Every
    /// timed decision (heartbeat, silence, lease expiry) happens at most this late. Default 0.1 s.
    public var tickSpacing: Double = 0.1

    /// When set, a worker whose `ready` names another gfmc version is refused (`refused`). Default nil.
    public var requiredWorkerVersion: String? = nil
    /// When set, a worker whose `ready` carries another numerics fingerprint (or none) is refused. Default nil.
    public var requiredNumericsFingerprint: String? = nil

    public init() {}

    /// Throws `CoordinatorSettingsError` naming the first field outside its allowed range.
    public func validate() throws(CoordinatorSettingsError) {
        func positive(_ value: Double, _ name: String) throws(CoordinatorSettingsError) {
            guard value.isFinite, value > 0 else { throw CoordinatorSettingsError(field: name, value: "\(value)", allowed: "a finite number > 0") }
        }
        try positive(heartbeatInterval, "heartbeatInterval")
        try positive(workerSilenceTimeout, "workerSilenceTimeout")
        try positive(minimumLease, "minimumLease")
        try positive(leaseMultiplier, "leaseMultiplier")
        try positive(unmeasuredLease, "unmeasuredLease")
        try positive(targetTaskSeconds, "targetTaskSeconds")
        try positive(rateWindow, "rateWindow")
        try positive(tickSpacing, "tickSpacing")
        guard farewellSeconds.isFinite, farewellSeconds >= 0 else {
            throw CoordinatorSettingsError(field: "farewellSeconds", value: "\(farewellSeconds)", allowed: "a finite number ≥ 0")
        }
        guard workerSilenceTimeout > heartbeatInterval else {
            throw CoordinatorSettingsError(field: "workerSilenceTimeout", value: "\(workerSilenceTimeout)", allowed: "> heartbeatInterval (\(heartbeatInterval))")
        }
        guard timingSmoothing > 0, timingSmoothing <= 1 else {
            throw CoordinatorSettingsError(field: "timingSmoothing", value: "\(timingSmoothing)", allowed: "(0, 1]")
        }
        guard maxAttempts >= 1 else { throw CoordinatorSettingsError(field: "maxAttempts", value: "\(maxAttempts)", allowed: "≥ 1") }
        guard minTrialsPerTask >= 1 else { throw CoordinatorSettingsError(field: "minTrialsPerTask", value: "\(minTrialsPerTask)", allowed: "≥ 1") }
        guard maxTrialsPerTask >= minTrialsPerTask else {
            throw CoordinatorSettingsError(field: "maxTrialsPerTask", value: "\(maxTrialsPerTask)", allowed: "≥ minTrialsPerTask (\(minTrialsPerTask))")
        }
        guard initialTrialsPerTask >= 1 else { throw CoordinatorSettingsError(field: "initialTrialsPerTask", value: "\(initialTrialsPerTask)", allowed: "≥ 1") }
        guard maxCreditsPerSlot >= 1 else { throw CoordinatorSettingsError(field: "maxCreditsPerSlot", value: "\(maxCreditsPerSlot)", allowed: "≥ 1") }
        guard maxCreditsPerWorker >= 1 else { throw CoordinatorSettingsError(field: "maxCreditsPerWorker", value: "\(maxCreditsPerWorker)", allowed: "≥ 1") }
        guard initialCredits >= 1 else { throw CoordinatorSettingsError(field: "initialCredits", value: "\(initialCredits)", allowed: "≥ 1") }
        guard quarantinePeers >= 1 else { throw CoordinatorSettingsError(field: "quarantinePeers", value: "\(quarantinePeers)", allowed: "≥ 1") }
        guard vanishStrikes >= 1 else { throw CoordinatorSettingsError(field: "vanishStrikes", value: "\(vanishStrikes)", allowed: "≥ 1") }
    }
}

/// A coordinator setting outside its allowed range.
public struct CoordinatorSettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var allowed: String

    public var description: String { "coordinator setting \(field) = \(value) is invalid; allowed: \(allowed)" }
}

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
    /// Credits above this from one worker are clamped to it. Default 256.
    public var maxCreditsPerWorker: Int = 256

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
        guard maxCreditsPerWorker >= 1 else { throw CoordinatorSettingsError(field: "maxCreditsPerWorker", value: "\(maxCreditsPerWorker)", allowed: "≥ 1") }
    }
}

/// A coordinator setting outside its allowed range.
public struct CoordinatorSettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var allowed: String

    public var description: String { "coordinator setting \(field) = \(value) is invalid; allowed: \(allowed)" }
}

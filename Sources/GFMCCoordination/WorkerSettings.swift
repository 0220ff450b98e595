/// Tunables of `WorkerCore`. All times are in seconds of the clock passed to the core's event methods (a
/// monotonic clock in the runtime, a fake clock in tests).
public struct WorkerSettings: Sendable, Equatable {
    /// Engine threads: at most this many tasks compute at once. ≥ 1.
    public var slots: Int
    /// Tasks held queued per slot beyond those computing, so an engine thread that finishes finds its next
    /// task already here instead of waiting a round trip to the coordinator. The worker announces
    /// `slots × (1 + prefetchPerSlot)` credits. 0…`maxPrefetchPerSlot`; default 1. A queued task waits at
    /// most `prefetchPerSlot` task times before it starts, well inside the coordinator's lease (10× the
    /// expected task time by default).
    public var prefetchPerSlot: Int = 1
    /// Largest `prefetchPerSlot` (coordinators cap credits at `slots × (1 + this)` by default).
    public static let maxPrefetchPerSlot = 4
    /// Heartbeat period toward the coordinator (a heartbeat goes out when nothing else was sent for this
    /// long). Default 1 s.
    public var heartbeatInterval: Double = 1
    /// Nothing heard from the coordinator for this long → announce again (`ready`), with back-off starting at
    /// `heartbeatInterval` and doubling up to `reannounceBackoffMax`. Defaults 5 s and 30 s.
    public var coordinatorSilenceTimeout: Double = 5
    public var reannounceBackoffMax: Double = 30
    /// On a stop request: how long running tasks may still finish before they are handed back. Default 30 s.
    public var shutdownGraceSeconds: Double = 30
    /// Give up (exit) when no coordinator was heard for this long; nil = keep trying forever.
    public var giveUpAfterSeconds: Double? = nil
    /// How soon a message the transport could not take (not connected) is offered again. Default 50 ms.
    public var sendRetryInterval: Double = 0.05

    public init(slots: Int) { self.slots = slots }

    /// The credits the worker announces: tasks it may hold, computing or queued.
    public var credits: Int { slots * (1 + prefetchPerSlot) }

    /// - Throws: `WorkerSettingsError` naming the first invalid field.
    public func validate() throws(WorkerSettingsError) {
        guard slots >= 1 else { throw WorkerSettingsError(message: "slots must be ≥ 1 (got \(slots))") }
        guard (0...Self.maxPrefetchPerSlot).contains(prefetchPerSlot) else {
            throw WorkerSettingsError(message: "prefetch must be 0…\(Self.maxPrefetchPerSlot) tasks per slot (got \(prefetchPerSlot))")
        }
        for (value, name) in [(heartbeatInterval, "heartbeatInterval"),
                              (coordinatorSilenceTimeout, "coordinatorSilenceTimeout"),
                              (reannounceBackoffMax, "reannounceBackoffMax"), (sendRetryInterval, "sendRetryInterval")] {
            guard value.isFinite, value > 0 else {
                throw WorkerSettingsError(message: "\(name) must be a positive number of seconds (got \(value))")
            }
        }
        guard shutdownGraceSeconds.isFinite, shutdownGraceSeconds >= 0 else {
            throw WorkerSettingsError(message: "shutdownGraceSeconds must be ≥ 0 seconds (got \(shutdownGraceSeconds))")
        }
        if let limit = giveUpAfterSeconds, !(limit.isFinite && limit > 0) {
            throw WorkerSettingsError(message: "giveUpAfterSeconds must be a positive number of seconds (got \(limit))")
        }
    }
}

public struct WorkerSettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "worker options: \(message)" }
}

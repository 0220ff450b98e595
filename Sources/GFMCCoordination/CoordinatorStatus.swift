/// A snapshot of the coordinator's progress, for the terminal line, `status.json` and `gfmc status`.
public struct CoordinatorStatus: Codable, Equatable, Sendable {
    public var studyHash: String
    /// All trials of the study (including those completed by earlier coordinator runs).
    public var total: Int
    /// Trials with a persisted result (including earlier runs).
    public var done: Int
    /// Trials currently leased to workers.
    public var inFlight: Int
    /// Trials waiting to be handed out.
    public var queued: Int
    /// Tasks put back in the queue (for any reason) since this coordinator started.
    public var requeues: Int
    /// Trials quarantined since this coordinator started.
    public var quarantined: Int
    public var workersAlive: Int
    /// Sum of the live workers' credits.
    public var creditsAlive: Int
    /// Trials completed per second over the last `rateWindow` seconds (0 when none).
    public var trialsPerSecond: Double
    /// Seconds to completion at the current rate; nil when the rate is 0.
    public var etaSeconds: Double?
    /// Seconds since this coordinator started.
    public var elapsedSeconds: Double
    public var tasksIssued: Int
    /// Messages rejected (wrong worker, unknown task, undecodable, …).
    public var rejectedMessages: Int
    /// Late duplicate results dropped.
    public var duplicatesDropped: Int
    /// done + quarantined == total and nothing is in flight.
    public var complete: Bool

    public init(studyHash: String, total: Int, done: Int, inFlight: Int, queued: Int, requeues: Int,
                quarantined: Int, workersAlive: Int, creditsAlive: Int, trialsPerSecond: Double,
                etaSeconds: Double?, elapsedSeconds: Double, tasksIssued: Int, rejectedMessages: Int,
                duplicatesDropped: Int, complete: Bool) {
        self.studyHash = studyHash
        self.total = total
        self.done = done
        self.inFlight = inFlight
        self.queued = queued
        self.requeues = requeues
        self.quarantined = quarantined
        self.workersAlive = workersAlive
        self.creditsAlive = creditsAlive
        self.trialsPerSecond = trialsPerSecond
        self.etaSeconds = etaSeconds
        self.elapsedSeconds = elapsedSeconds
        self.tasksIssued = tasksIssued
        self.rejectedMessages = rejectedMessages
        self.duplicatesDropped = duplicatesDropped
        self.complete = complete
    }
}

/// Group commit: accepted results from many messages go to the store in ONE durable transaction,
/// written when `maxResults` are waiting or the oldest has waited `maxDelaySeconds`, whichever comes
/// first, so one fsync serves many results.
///
/// **Contract:** anything that counts, reports or acknowledges a result must wait for its commit. The
/// owner hands such actions to `defer(_:)` while results are pending (`hasPending`); `commit()` returns
/// them, in order, once the results are durable, for the owner to carry out. If the commit fails it
/// throws and returns nothing: the deferred actions are dropped with the uncommitted results (a
/// restarted run recomputes those trials), so nothing counted is ever lost.
///
/// Single-threaded (the owner's thread); times are the owner's monotonic clock in seconds.
public final class GroupCommit<Action> {
    public let store: StudyStore
    /// Results waiting that trigger a commit at once.
    public let maxResults: Int
    /// Longest time a result waits for its commit.
    public let maxDelaySeconds: Double
    private var batches: [StudyStore.RecordBatch] = []
    private var pendingResults = 0
    private var oldestPendingAt: Double?
    private var deferred: [Action] = []
    /// Commits made so far, and results they held (for benchmarks and status).
    public private(set) var commits = 0
    public private(set) var committedResults = 0

    public init(store: StudyStore, maxResults: Int = 2048, maxDelaySeconds: Double = 0.004) {
        self.store = store
        self.maxResults = max(1, maxResults)
        self.maxDelaySeconds = max(0, maxDelaySeconds)
    }

    /// Whether results are waiting for a commit (then every counting action must be deferred).
    public var hasPending: Bool { oldestPendingAt != nil }

    /// Queues results for the next commit.
    public func add(_ batch: StudyStore.RecordBatch, now: Double) {
        guard !batch.results.isEmpty else { return }
        batches.append(batch)
        pendingResults += batch.results.count
        if oldestPendingAt == nil { oldestPendingAt = now }
    }

    /// Queues an action to run after the next commit (in the order deferred).
    public func `defer`(_ action: Action) {
        deferred.append(action)
    }

    /// Seconds until the pending results must be committed (0 when overdue); nil when nothing is pending.
    public func secondsUntilDue(now: Double) -> Double? {
        guard let oldest = oldestPendingAt else { return nil }
        if pendingResults >= maxResults { return 0 }
        return max(0, oldest + maxDelaySeconds - now)
    }

    /// True when a commit is due now.
    public func isDue(now: Double) -> Bool {
        secondsUntilDue(now: now).map { $0 <= 0 } ?? false
    }

    /// Commits every pending result durably and returns the deferred actions, in order, to be carried
    /// out now. With nothing pending, returns the deferred actions (if any) without touching the store.
    /// - Throws: the store's error; the pending results and deferred actions are then dropped.
    public func commit() throws -> [Action] {
        let batches = self.batches, actions = deferred
        self.batches = []
        deferred = []
        let count = pendingResults
        pendingResults = 0
        oldestPendingAt = nil
        if !batches.isEmpty {
            try store.record(batches)
            commits += 1
            committedResults += count
        }
        return actions
    }
}

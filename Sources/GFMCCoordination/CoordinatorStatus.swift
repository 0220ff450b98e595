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

extension CoordinatorStatus {
    /// One terminal line, e.g.
    /// `1234/2000 trials (61.7%) · 85.2 trials/s · ETA 9 s · 3 workers · 2 requeues · 0 quarantined`.
    public var progressLine: String {
        let percent = total > 0 ? Double(done) / Double(total) * 100 : 100
        var parts = ["\(done)/\(total) trials (\(Self.fixed(percent, 1))%)"]
        parts.append("\(Self.fixed(trialsPerSecond, trialsPerSecond < 10 ? 2 : 1)) trials/s")
        parts.append("ETA " + (etaSeconds.map(Self.duration) ?? "?"))
        parts.append("\(workersAlive) worker\(workersAlive == 1 ? "" : "s")")
        parts.append("\(inFlight) in flight")
        parts.append("\(requeues) requeue\(requeues == 1 ? "" : "s")")
        parts.append("\(quarantined) quarantined")
        if rejectedMessages > 0 { parts.append("\(rejectedMessages) rejected") }
        return parts.joined(separator: " · ")
    }

    /// A duration as "0.4 s" (under 10 s), "42 s", "3 min 5 s" or "2 h 7 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 9.95 { return "\(fixed(seconds, 1)) s" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \((s % 3600) / 60) min"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if let dot = text.firstIndex(of: "."), !text.contains("e") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }
}

/// Decides which rejected-message log lines are written, so a hostile or broken peer cannot flood the
/// log: per peer (ROUTER identity) the first `perPeerFirst` lines, then every `perPeerEvery`-th; and over
/// all peers at most `globalPerWindow` lines per `window` seconds. Memory is bounded: at most
/// `maxTrackedPeers` peers are counted (the counts restart when the table is full). Pure: the caller
/// passes the clock.
public struct RejectionLogLimiter: Sendable {
    public var perPeerFirst = 5
    public var perPeerEvery = 1000
    public var globalPerWindow = 100
    public var window: Double = 60
    public var maxTrackedPeers = 4096

    private var counts: [WorkerID: Int] = [:]
    private var windowStart = -Double.infinity
    private var loggedInWindow = 0
    /// Lines not written since the last written one (reported with the next written line).
    public private(set) var suppressed = 0

    public init() {}

    /// True when the line about a rejection from `peer` should be written now.
    public mutating func shouldLog(peer: WorkerID, now: Double) -> Bool {
        if counts.count >= maxTrackedPeers, counts[peer] == nil { counts.removeAll(keepingCapacity: true) }
        let n = counts[peer, default: 0] + 1
        counts[peer] = n
        if now - windowStart >= window {
            windowStart = now
            loggedInWindow = 0
        }
        guard n <= perPeerFirst || n % perPeerEvery == 0, loggedInWindow < globalPerWindow else {
            suppressed += 1
            return false
        }
        loggedInWindow += 1
        return true
    }

    /// Returns and resets the number of suppressed lines (to mention in the next written line).
    public mutating func takeSuppressed() -> Int {
        defer { suppressed = 0 }
        return suppressed
    }
}

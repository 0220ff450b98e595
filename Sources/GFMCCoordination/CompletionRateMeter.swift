/// Completed-trial counts over a sliding time window, giving a rate in trials per second.
struct CompletionRateMeter: Sendable {
    let window: Double
    let start: Double
    private var events: [(time: Double, count: Int)] = []
    private var head = 0

    init(window: Double, start: Double) {
        self.window = window
        self.start = start
    }

    mutating func record(_ count: Int, at time: Double) {
        events.append((time, count))
    }

    /// Drops events older than the window (keeps memory bounded).
    mutating func trim(now: Double) {
        while head < events.count, events[head].time < now - window { head += 1 }
        if head > 1024, head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }

    /// Trials per second completed in (now − window, now], measured over min(window, now − start).
    func rate(now: Double) -> Double {
        let span = min(window, now - start)
        guard span > 0 else { return 0 }
        var total = 0
        var i = events.count - 1
        while i >= head, events[i].time >= now - window {
            total += events[i].count
            i -= 1
        }
        return Double(total) / span
    }
}

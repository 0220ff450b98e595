import Foundation

/// A point in time after which a wait gives up. Every wait in the system tests is bounded twice: by this deadline
/// and by a maximum number of polls, so a wrong clock or a condition that throws cannot loop forever.
struct Deadline: Sendable {
    let end: ContinuousClock.Instant

    init(seconds: Double) {
        end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    }

    var hasPassed: Bool { ContinuousClock.now >= end }

    /// Seconds left (≥ 0).
    var remainingSeconds: Double {
        let left = end - ContinuousClock.now
        let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
        return max(0, seconds)
    }
}

/// Sleeps for `seconds` (cooperatively; a cancelled task wakes early).
func pause(seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
}

/// Polls `condition` every `interval` seconds until it is true (returns true) or `timeout` seconds or
/// ⌈timeout/interval⌉ + 1 polls have passed (returns false). A throwing condition ends the wait with its error.
func waitUntil(timeout: Double, interval: Double = 0.05,
               _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Deadline(seconds: timeout)
    let maxPolls = Int((timeout / interval).rounded(.up)) + 1
    for _ in 0..<maxPolls {
        if try condition() { return true }
        if deadline.hasPassed { return false }
        await pause(seconds: min(interval, max(0.001, deadline.remainingSeconds)))
    }
    return try condition()
}

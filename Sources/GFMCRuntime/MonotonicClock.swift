import Dispatch
import GFMCConcurrency

/// A reading of a monotonic clock: the time elapsed since the clock's own origin. Only differences between
/// readings of the same clock mean anything.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) { self.sinceOrigin = sinceOrigin }

    /// `sinceOrigin` in seconds: the unit `CoordinatorCore` and `WorkerCore` take (exact to 1 ns for
    /// runs shorter than about 100 days).
    public var seconds: Double {
        let (whole, attoseconds) = sinceOrigin.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    public static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.sinceOrigin < b.sinceOrigin }
    public static func + (a: MonotonicInstant, d: Duration) -> MonotonicInstant { MonotonicInstant(sinceOrigin: a.sinceOrigin + d) }
    public static func - (a: MonotonicInstant, b: MonotonicInstant) -> Duration { a.sinceOrigin - b.sinceOrigin }
}

/// Where a runtime reads the time. Injected through `CoordinatorOptions.clock` and `WorkerOptions.clock`,
/// so tests and simulations can run the runtimes on a clock they control.
public protocol MonotonicClockSource: Sendable {
    /// Never decreases between calls.
    func now() -> MonotonicInstant
}

/// The system's monotonic clock (never jumps with wall-clock changes), with its origin when made.
public struct MonotonicClock: MonotonicClockSource {
    private let origin: UInt64

    public init() { origin = DispatchTime.now().uptimeNanoseconds }

    public func now() -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: .nanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- origin)))
    }
}

/// A clock that moves only when told to (tests, simulations). Thread-safe.
public final class ManualClock: MonotonicClockSource {
    private let current: LockedValue<Duration>

    public init(start: Duration = .zero) { current = LockedValue(start) }

    public func now() -> MonotonicInstant { MonotonicInstant(sinceOrigin: current.value) }

    /// Moves the clock forward by `step` (a negative step is ignored: the clock is monotonic).
    public func advance(by step: Duration) {
        current.withLock { if step > .zero { $0 += step } }
    }
}

/// A clock source read as seconds, the unit the cores take.
struct ClockSeconds: Sendable {
    let source: any MonotonicClockSource
    func now() -> Double { source.now().seconds }
}

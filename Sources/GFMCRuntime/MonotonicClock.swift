import Dispatch

/// Seconds since the clock was made, from the system's monotonic clock (never jumps with wall-clock
/// changes). This is the clock the runtime passes to `CoordinatorCore`.
public struct MonotonicClock: Sendable {
    private let origin: UInt64

    public init() { origin = DispatchTime.now().uptimeNanoseconds }

    public func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds &- origin) / 1e9
    }
}

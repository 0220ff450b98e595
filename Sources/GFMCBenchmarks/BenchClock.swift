import Foundation

/// Wall-clock timing for `gfmc bench` (monotonic `ContinuousClock`).
public enum BenchClock {
    /// Runs `body` and returns its value with the elapsed wall time in seconds.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        return (value, seconds(clock.now - start))
    }

    /// A `Duration` in seconds.
    public static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

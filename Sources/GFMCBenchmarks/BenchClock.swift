import Foundation

/// Timing for `gfmc bench`: wall clock (monotonic `ContinuousClock`) and the calling thread's CPU time.
public enum BenchClock {
    /// Runs `body` and returns its value with the elapsed wall time and the CPU time of the calling thread, in
    /// seconds. On a loaded machine the CPU time is close to what the wall time would be on an idle one (the
    /// thread's waits for a core are not counted; the slowdown from sharing caches and memory bandwidth is).
    public static func measureWithCPU<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double, cpuSeconds: Double) {
        let cpuStart = threadCPUSeconds()
        let (value, seconds) = try measure(body)
        return (value, seconds, threadCPUSeconds() - cpuStart)
    }

    /// CPU time consumed so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`), in seconds.
    public static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

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

import Dispatch
import Foundation

/// A thread-safe "please stop" flag with the reason, set by signal handlers, by tests or by a caller.
/// The runtime loops check it at least every poll interval (≤ 100 ms).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var why: String?

    public init() {}

    /// Requests a stop; the first reason wins.
    public func request(_ reason: String) {
        lock.withLock { if why == nil { why = reason } }
    }

    /// The reason, once a stop was requested.
    public var reason: String? { lock.withLock { why } }
    public var isRequested: Bool { reason != nil }

    /// Routes SIGINT and SIGTERM (or the given signals) to this flag: the first one requests a stop,
    /// a second one of the same kind ends the process at once (exit status 128 + signal).
    /// Keep the returned object alive as long as the handlers should stay installed.
    public func installSignalHandlers(_ signals: [Int32] = [SIGINT, SIGTERM]) -> SignalHandlers {
        SignalHandlers(flag: self, signals: signals)
    }
}

/// Dispatch signal sources that feed a `StopFlag` (see `StopFlag.installSignalHandlers`).
public final class SignalHandlers: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(flag: StopFlag, signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
            let seen = Counter()
            source.setEventHandler {
                if seen.increment() > 1 { _exit(128 + number) }
                flag.request(name)
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit { for source in sources { source.cancel() } }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.withLock { value += 1; return value } }
    }
}

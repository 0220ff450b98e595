import Dispatch
import Foundation
import GFMCConcurrency

/// A thread-safe "please stop" flag with the reason, set by signal handlers, by tests or by a caller.
/// The runtime loops check it at least every poll interval (≤ 100 ms).
public final class StopFlag: Sendable {
    private let why = LockedValue<String?>(nil)

    public init() {}

    /// Requests a stop; the first reason wins.
    public func request(_ reason: String) {
        why.withLock { if $0 == nil { $0 = reason } }
    }

    /// The reason, once a stop was requested.
    public var reason: String? { why.value }
    public var isRequested: Bool { reason != nil }

    /// The signals that ask a gfmc process to stop cleanly: SIGINT, SIGTERM and SIGHUP (a closed terminal or
    /// session stops a run like SIGTERM does, with its partial report and its workers told to stop).
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Routes `stopSignals` (or the given signals) to this flag: the first one requests a stop,
    /// a second one of the same kind ends the process at once (exit status 128 + signal).
    /// Keep the returned object alive as long as the handlers should stay installed.
    public func installSignalHandlers(_ signals: [Int32] = StopFlag.stopSignals) -> SignalHandlers {
        SignalHandlers(flag: self, signals: signals)
    }
}

/// Dispatch signal sources that feed a `StopFlag` (see `StopFlag.installSignalHandlers`).
///
/// `@unchecked Sendable`: `sources` is filled in `init` and only cancelled in `deinit`; dispatch sources
/// are themselves thread-safe.
public final class SignalHandlers: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(flag: StopFlag, signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : number == SIGHUP ? "SIGHUP"
                : number == SIGUSR1 ? "SIGUSR1" : "signal \(number)"
            let seen = LockedValue(0)
            source.setEventHandler {
                if seen.withLock({ $0 += 1; return $0 }) > 1 { _exit(128 + number) }
                flag.request(name)
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit { for source in sources { source.cancel() } }
}

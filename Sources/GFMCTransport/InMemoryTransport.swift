import Foundation

/// A `MessageTransport` end inside one process: what one end sends, the other receives, in order, unless
/// the pair is disconnected (then `trySend` returns false, like a ZeroMQ DEALER with `ZMQ_IMMEDIATE` and
/// no peer). Make both ends with `InMemoryTransport.pair()`, or connect one end to an `InMemoryRouter`.
///
/// `@unchecked Sendable`: all mutable state is in `Shared`, touched only while its condition is held.
public final class InMemoryTransport: MessageTransport, @unchecked Sendable {
    private final class Shared: @unchecked Sendable {
        let condition: NSCondition
        init(condition: NSCondition) { self.condition = condition }
        /// Incoming queues of end 0 and end 1.
        var queues: [[[[UInt8]]]] = [[], []]
        var woken = [false, false]
        var closed = [false, false]
        var connected = true
        var sent = [0, 0]
    }

    private let shared: Shared
    private let side: Int

    private init(shared: Shared, side: Int) {
        self.shared = shared
        self.side = side
    }

    /// Two connected ends.
    public static func pair() -> (InMemoryTransport, InMemoryTransport) {
        pair(condition: NSCondition())
    }

    /// Two connected ends guarded by `condition` (shared with an `InMemoryRouter`, which waits on it for
    /// messages from any of its peers).
    static func pair(condition: NSCondition) -> (InMemoryTransport, InMemoryTransport) {
        let shared = Shared(condition: condition)
        return (InMemoryTransport(shared: shared, side: 0), InMemoryTransport(shared: shared, side: 1))
    }

    // MARK: For InMemoryRouter (the caller holds `shared.condition`)

    /// The oldest message waiting at this end, removed. - Precondition: the caller holds the pair's condition.
    func takeLocked() -> [[UInt8]]? {
        shared.queues[side].isEmpty ? nil : shared.queues[side].removeFirst()
    }

    /// `trySend` for a caller already holding the pair's condition; also false once this end is closed.
    func sendLocked(_ frames: [[UInt8]]) -> Bool {
        guard !shared.closed[side], shared.connected, !shared.closed[1 - side] else { return false }
        shared.queues[1 - side].append(frames)
        shared.sent[side] += 1
        shared.condition.broadcast()
        return true
    }

    /// Closes this end for a caller already holding the pair's condition.
    func closeLocked() {
        shared.closed[side] = true
        shared.condition.broadcast()
    }

    /// Connects or disconnects the pair (both directions). While disconnected, `trySend` returns false and
    /// nothing is queued; messages already queued stay.
    public func setConnected(_ connected: Bool) {
        shared.condition.withLock { shared.connected = connected }
    }

    /// Messages this end handed to the other so far.
    public var messagesSent: Int { shared.condition.withLock { shared.sent[side] } }

    public func trySend(_ frames: [[UInt8]]) throws -> Bool {
        try shared.condition.withLock {
            guard !shared.closed[side] else { throw InMemoryTransportError.closed }
            return sendLocked(frames)
        }
    }

    public func receive(timeout: Duration) throws -> [[UInt8]]? {
        let deadline = Date().addingTimeInterval(max(0, Double(timeout.components.seconds)
            + Double(timeout.components.attoseconds) / 1e18))
        return try shared.condition.withLock {
            while true {
                guard !shared.closed[side] else { throw InMemoryTransportError.closed }
                if !shared.queues[side].isEmpty { return shared.queues[side].removeFirst() }
                if shared.woken[side] {
                    shared.woken[side] = false
                    return nil
                }
                if !shared.condition.wait(until: deadline) { return nil }
            }
        }
    }

    public func wake() {
        shared.condition.withLock {
            shared.woken[side] = true
            shared.condition.broadcast()
        }
    }

    public func close(linger: Duration) {
        shared.condition.withLock { closeLocked() }
    }
}

public enum InMemoryTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case closed
    /// `InMemoryRouter.connect` with an identity already connected.
    case identityInUse([UInt8])
    public var description: String {
        switch self {
        case .closed: "in-memory transport: used after close"
        case .identityInUse(let identity): "in-memory router: identity \(String(decoding: identity, as: UTF8.self)) is already connected"
        }
    }
}

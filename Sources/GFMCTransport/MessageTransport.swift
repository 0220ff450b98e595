/// One end of a connection carrying multipart messages (arrays of frames) to and from one peer, as the
/// worker runtime uses it. Implementations: `ZMQDealerTransport` (ZeroMQ DEALER over TCP or IPC) and
/// `InMemoryTransport` (a pair of queues in one process, for tests and simulations).
///
/// Like a socket, a transport is used by one thread (its owner), except `wake()`, which any thread may call
/// (hence `Sendable`: conformers are `@unchecked Sendable` on that contract).
public protocol MessageTransport: AnyObject, Sendable {
    /// Offers a message without blocking. Returns false when it cannot be taken now (no peer connected,
    /// queue full); nothing was sent then.
    /// - Throws: when the transport is broken (closed, invalid message).
    func trySend(_ frames: [[UInt8]]) throws -> Bool

    /// Waits up to `timeout` for a message. Returns nil on timeout or when `wake()` was called; a zero
    /// timeout only checks.
    /// - Throws: when the transport is broken, or (`ZMQDealerTransport`) a `HandshakeRefusal` when the peer
    ///   refused the security handshake.
    func receive(timeout: Duration) throws -> [[UInt8]]?

    /// Makes a pending or the next `receive` return early. Safe from any thread.
    func wake()

    /// Closes the transport, giving queued outgoing messages up to `linger` to leave. Idempotent.
    func close(linger: Duration)
}

extension Duration {
    /// The duration in milliseconds, rounded up (so a positive duration never becomes 0), capped at `Int32.max`.
    var wholeMillisecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let millis = Double(seconds) * 1000 + (Double(attoseconds) / 1e15).rounded(.up)
        return Int(min(millis.rounded(.up), Double(Int32.max)))
    }
}

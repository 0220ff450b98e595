/// What a `RouterTransport` received.
public enum RouterReceipt: Equatable, Sendable {
    /// A message from the peer with routing identity `peer`. `userID` is the peer's authenticated identity
    /// when the transport knows one (`ZMQRouterTransport`: the client's Z85 CURVE public key when a ZAP
    /// allowlist admitted it), else nil.
    case message(peer: [UInt8], frames: [[UInt8]], userID: String?)
    /// A message from `peer` larger than the transport takes (too many frames); it was discarded.
    case oversized(peer: [UInt8])
}

/// How `RouterTransport.send` ended.
public enum RouterSendOutcome: Equatable, Sendable {
    /// Queued for the peer.
    case sent
    /// The peer's send queue is full; nothing was sent (the peer is connected but not reading).
    case queueFull
    /// No peer with that identity is connected (it went away or never was); nothing was sent.
    case unreachable
}

/// The server end of the coordinator's connections: one bound endpoint that many peers (each a
/// `MessageTransport` on the worker side) connect to, each known by its routing identity. Implementations:
/// `ZMQRouterTransport` (a ZeroMQ ROUTER socket, TCP or IPC, optional CURVE) and `InMemoryRouter` (peers in the
/// same process, for tests).
///
/// Like a socket, a router transport is used by one thread (its owner) for its whole life.
public protocol RouterTransport: AnyObject {
    /// The endpoint actually bound (with the real port after binding port 0).
    var endpoint: String { get }

    /// Waits up to `timeout` for a message; nil on timeout. A zero timeout only checks.
    /// - Throws: when the transport is broken (closed).
    func receive(timeout: Duration) throws -> RouterReceipt?

    /// Offers `frames` to the peer with routing identity `peer` without blocking.
    /// - Throws: when the transport is broken (closed, invalid message).
    func send(_ frames: [[UInt8]], to peer: [UInt8]) throws -> RouterSendOutcome

    /// Closes the transport, giving queued outgoing messages up to `linger` to leave. Idempotent.
    func close(linger: Duration)
}

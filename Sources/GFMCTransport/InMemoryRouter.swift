import Foundation

/// A `RouterTransport` inside one process: peers `connect` and get an `InMemoryTransport` end (what the worker
/// runtime takes), so a coordinator and its workers talk without sockets. Sends to a peer whose end is
/// disconnected (`InMemoryTransport.setConnected(false)`) or closed are `unreachable`, like a ZeroMQ ROUTER
/// with `ZMQ_ROUTER_MANDATORY`; queues are unbounded (never `queueFull`). Peers are served in turn, so one
/// busy peer does not starve the others.
///
/// `connect` may be called from any thread; `receive`, `send` and `close` belong to the owner's thread.
/// `@unchecked Sendable`: all mutable state is touched only while `condition` is held (the same condition
/// guards every connected pair).
public final class InMemoryRouter: RouterTransport, @unchecked Sendable {
    private struct Peer {
        let identity: [UInt8]
        let end: InMemoryTransport
        let userID: String?
    }

    public let endpoint: String
    private let condition = NSCondition()
    private var peers: [Peer] = []
    private var index: [[UInt8]: Int] = [:]
    /// Where the next `receive` starts looking (round robin over peers).
    private var nextPeer = 0
    private var closed = false

    /// - Parameter endpoint: the name reported as `endpoint` (nothing is bound).
    public init(endpoint: String = "inmemory://router") {
        self.endpoint = endpoint
    }

    /// Connects a peer with routing identity `identity` and returns its end. `userID` is what `receive`
    /// reports as the peer's authenticated identity (a stand-in for a CURVE key), nil for none.
    /// - Throws: `InMemoryTransportError.identityInUse` when a peer with that identity is connected (as
    ///   ZeroMQ refuses a second connection with a routing identity in use), `.closed` after `close`.
    public func connect(identity: [UInt8], userID: String? = nil) throws -> InMemoryTransport {
        try condition.withLock {
            guard !closed else { throw InMemoryTransportError.closed }
            guard index[identity] == nil else { throw InMemoryTransportError.identityInUse(identity) }
            let (mine, theirs) = InMemoryTransport.pair(condition: condition)
            index[identity] = peers.count
            peers.append(Peer(identity: identity, end: mine, userID: userID))
            return theirs
        }
    }

    public func receive(timeout: Duration) throws -> RouterReceipt? {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date().addingTimeInterval(max(0, Double(seconds) + Double(attoseconds) / 1e18))
        return try condition.withLock {
            while true {
                guard !closed else { throw InMemoryTransportError.closed }
                for offset in 0..<peers.count {
                    let peer = peers[(nextPeer + offset) % peers.count]
                    if let frames = peer.end.takeLocked() {
                        nextPeer = (nextPeer + offset + 1) % peers.count
                        return .message(peer: peer.identity, frames: frames, userID: peer.userID)
                    }
                }
                if !condition.wait(until: deadline) { return nil }
            }
        }
    }

    public func send(_ frames: [[UInt8]], to peer: [UInt8]) throws -> RouterSendOutcome {
        try condition.withLock {
            guard !closed else { throw InMemoryTransportError.closed }
            guard let position = index[peer] else { return .unreachable }
            return peers[position].end.sendLocked(frames) ? .sent : .unreachable
        }
    }

    /// Closes the router and its side of every connection (peers' sends then return false). Messages already
    /// queued toward peers stay readable by them, whatever `linger`.
    public func close(linger: Duration) {
        condition.withLock {
            guard !closed else { return }
            closed = true
            for peer in peers { peer.end.closeLocked() }
        }
    }
}

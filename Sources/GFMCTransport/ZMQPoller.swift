import CZeroMQ

/// Waits until some of a fixed set of sockets are readable (`zmq_poll` with `ZMQ_POLLIN`).
/// Like the sockets it polls, a poller belongs to the thread that owns those sockets.
public struct ZMQPoller {
    public let sockets: [ZMQSocket]

    public init(_ sockets: [ZMQSocket]) {
        self.sockets = sockets
    }

    /// Indices (into `sockets`) of the sockets with at least one whole message waiting.
    /// - Parameter timeoutMilliseconds: how long to wait; 0 = just check, -1 = forever.
    /// - Returns: the readable indices in increasing order; empty on timeout or when a signal
    ///   interrupted the wait (`EINTR`).
    /// - Throws: `ZMQError` (`ETERM` after context shutdown, `ENOTSOCK` for a closed socket).
    public func readable(timeoutMilliseconds: Int) throws -> [Int] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.rawHandle("poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if rc < 0 {
            if zmq_errno() == EINTR { return [] }
            throw ZMQError.current("poll")
        }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

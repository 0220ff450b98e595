import CZeroMQ

/// A failed libzmq call: the `errno` libzmq reported (`zmq_errno()`), its `zmq_strerror` text and
/// the operation that failed (for example `"bind tcp://127.0.0.1:0"`).
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The POSIX/libzmq error number (`EHOSTUNREACH`, `EAGAIN`, `ETERM`, …).
    public let code: Int32
    /// `zmq_strerror(code)`, or a more specific text for errors raised by this wrapper itself.
    public let message: String
    /// What was being attempted.
    public let operation: String

    public init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// The error libzmq reports for the calling thread right now (`zmq_errno`).
    static func current(_ operation: String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, message: ZMQError.text(code), operation: operation)
    }

    static func text(_ code: Int32) -> String {
        guard let text = zmq_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// A ROUTER with `ROUTER_MANDATORY` could not route to the addressed identity: the peer is gone
    /// (or never connected). The message was not sent.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// The operation would block (non-blocking call, or a send/receive timeout expired).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// The context was shut down or terminated; the socket should be closed.
    public var isContextTerminated: Bool { code == ETERM }

    public var description: String { "ZeroMQ \(operation): \(message) (errno \(code))" }
}

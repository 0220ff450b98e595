import CZeroMQ

/// One event of libzmq's socket monitor (`zmq_socket_monitor`), decoded.
///
/// The monitor sends each event as two frames: 6 bytes (a native-endian `uint16` event number and a
/// native-endian `uint32` value) and the endpoint it concerns.
public enum ZMQMonitorEvent: Sendable, Equatable {
    case connected
    case connectDelayed
    case connectRetried
    case listening
    case bindFailed
    case accepted
    case acceptFailed
    case closed
    case closeFailed
    case disconnected
    case monitorStopped
    case handshakeSucceeded
    /// The connection ended during the security handshake without a reason from the peer (`errno`
    /// as libzmq saw it, often 0 or `ECONNRESET`). Against a CURVE server this is what a client
    /// with the wrong server key sees: the server cannot decrypt its HELLO and hangs up.
    case handshakeFailedNoDetail(errno: Int32)
    /// The handshake broke a ZMTP rule; `code` is a `ZMQ_PROTOCOL_ERROR_*` value (for example
    /// ``mechanismMismatchCode`` when one side uses CURVE and the other plaintext).
    case handshakeFailedProtocol(code: UInt32)
    /// The server's ZAP handler refused the client; `status` is the ZAP status code (400: denied,
    /// 300: temporary failure, 500: internal error).
    case handshakeFailedAuth(status: UInt32)
    /// An event this type does not name.
    case other(event: UInt16, value: UInt32)

    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`.
    public static let mechanismMismatchCode = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`.
    public static let cryptographicCode = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)

    /// The events a handshake diagnosis needs (for `zmq_socket_monitor`'s mask).
    static let handshakeMask: Int32 = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
        | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// Decodes a monitor message; nil when it is not one (wrong frame count or size). Pure.
    /// - Returns: the event and the endpoint text of the second frame.
    public static func decode(_ frames: [[UInt8]]) -> (event: ZMQMonitorEvent, endpoint: String)? {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let number = frames[0].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = frames[0].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return (ZMQMonitorEvent(number: number, value: value), String(decoding: frames[1], as: UTF8.self))
    }

    /// The event for a raw (event number, value) pair. Pure.
    public init(number: UInt16, value: UInt32) {
        switch Int32(number) {
        case ZMQ_EVENT_CONNECTED: self = .connected
        case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed
        case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried
        case ZMQ_EVENT_LISTENING: self = .listening
        case ZMQ_EVENT_BIND_FAILED: self = .bindFailed
        case ZMQ_EVENT_ACCEPTED: self = .accepted
        case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed
        case ZMQ_EVENT_CLOSED: self = .closed
        case ZMQ_EVENT_CLOSE_FAILED: self = .closeFailed
        case ZMQ_EVENT_DISCONNECTED: self = .disconnected
        case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail(errno: Int32(bitPattern: value))
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol(code: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth(status: value)
        default: self = .other(event: number, value: value)
        }
    }
}

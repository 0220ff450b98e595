import CZeroMQ

/// The socket kinds this wrapper supports.
public enum ZMQSocketType: Sendable {
    case router, dealer, pair, req, rep

    var raw: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        }
    }
}

/// A socket option with its value. Durations are milliseconds (libzmq's unit); `-1` means
/// "infinite" where libzmq allows it. Set options before `bind`/`connect` unless libzmq documents
/// otherwise (`SNDTIMEO`, `RCVTIMEO`, `LINGER` may change later).
public enum ZMQSocketOption: Sendable, Equatable {
    /// How long unsent messages wait after `close` (ms). Every socket made here starts at 0.
    case linger(Int)
    /// ROUTER: fail sends to unknown identities with `EHOSTUNREACH` instead of dropping them.
    case routerMandatory(Bool)
    /// Queue messages only to completed connections (DEALER side).
    case immediate(Bool)
    /// First reconnect interval (ms).
    case reconnectInterval(Int)
    /// Cap of the exponential reconnect back-off (ms; 0 = no back-off).
    case reconnectIntervalMax(Int)
    /// High-water marks (messages; 0 = unlimited).
    case sendHighWaterMark(Int)
    case receiveHighWaterMark(Int)
    /// Largest inbound frame accepted (bytes; -1 = unlimited). A peer sending a larger one is
    /// disconnected by libzmq and the message is dropped.
    case maxMessageSize(Int64)
    /// The identity this socket presents to a ROUTER peer (1…255 bytes, must not start with 0).
    case routingID([UInt8])
    /// Send/receive timeouts (ms; -1 = block forever). On expiry the call fails with `EAGAIN`.
    case sendTimeout(Int)
    case receiveTimeout(Int)
    /// CURVE: act as server (needs `curveSecretKey`).
    case curveServer(Bool)
    /// CURVE keys as 40-character Z85 text (see ``CurveKeyPair``).
    case curvePublicKey(String)
    case curveSecretKey(String)
    /// CURVE client: the server's public key (Z85).
    case curveServerKey(String)
    /// ZAP domain passed to the ZAP handler in authentication requests.
    case zapDomain(String)
    /// Handshake timeout (ms; 0 = none).
    case handshakeInterval(Int)
}

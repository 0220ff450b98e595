import CZeroMQ

/// `RouterTransport` over a ZeroMQ ROUTER socket: `ZMQ_ROUTER_MANDATORY` (a send to an unknown identity is
/// `unreachable`, not silently dropped), a cap on incoming message size, a receive high-water mark of 100 000
/// messages, and optionally a CURVE server with a ZAP allowlist of client keys (`ZAPHandler`).
///
/// Create, use and close it on one thread (the socket's rule).
public final class ZMQRouterTransport: RouterTransport {
    /// CURVE settings of the server side: its key pair (Z85) and, optionally, the allowlist of client public
    /// keys (enforced by a ZAP handler; without it any client that knows the server key gets in).
    public struct CurveServerKeys: Sendable {
        public var publicKey: String
        public var secretKey: String
        public var allowedWorkerKeys: [String]?

        public init(publicKey: String, secretKey: String, allowedWorkerKeys: [String]? = nil) {
            self.publicKey = publicKey
            self.secretKey = secretKey
            self.allowedWorkerKeys = allowedWorkerKeys
        }
    }

    public let endpoint: String
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let zap: ZAPHandler?
    private let poller: ZMQPoller
    private let maxFrames: Int

    /// Binds to `endpoint` (e.g. `tcp://*:5555`, `tcp://127.0.0.1:0`).
    /// - Parameters:
    ///   - maxMessageBytes: larger incoming messages are refused by libzmq (`ZMQ_MAXMSGSIZE`: it drops the
    ///     sender's connection).
    ///   - maxFrames: frames per message (identity included) beyond which a message is reported `oversized`.
    ///   - onDenial: called (on the ZAP thread) for every client the allowlist refuses.
    /// - Throws: `ZMQError` (bad endpoint, address in use, bad keys); `CurveKeyError` for a bad allowlist entry.
    public init(endpoint: String, maxMessageBytes: Int, maxFrames: Int = 8, curve: CurveServerKeys?,
                onDenial: (@Sendable (ZAPDecision) -> Void)? = nil) throws {
        self.maxFrames = maxFrames
        context = try ZMQContext()
        if let keys = curve, let allowed = keys.allowedWorkerKeys {
            zap = try ZAPHandler(context: context, allowedPublicKeys: allowed) { decision in
                if !decision.accepted { onDenial?(decision) }
            }
        } else {
            zap = nil
        }
        do {
            socket = try ZMQSocket(context: context, type: .router)
            try socket.set(.routerMandatory(true))
            try socket.set(.maxMessageSize(Int64(maxMessageBytes)))
            try socket.set(.receiveHighWaterMark(100_000))
            if let keys = curve {
                try socket.set(.curveServer(true))
                try socket.set(.curvePublicKey(keys.publicKey))
                try socket.set(.curveSecretKey(keys.secretKey))
            }
            try socket.bind(endpoint)
            self.endpoint = try socket.lastEndpoint
        } catch {
            zap?.stop()
            throw error
        }
        poller = ZMQPoller([socket])
    }

    deinit { close(linger: .zero) }

    public func receive(timeout: Duration) throws -> RouterReceipt? {
        if let receipt = try tryReceive() { return receipt }
        guard timeout > .zero else { return nil }
        guard try !poller.readable(timeoutMilliseconds: timeout.wholeMillisecondsRoundedUp).isEmpty else { return nil }
        return try tryReceive()
    }

    private func tryReceive() throws -> RouterReceipt? {
        while let message = try socket.tryReceiveMessage(maxFrames: maxFrames) {
            guard let peer = message.frames.first else { continue }  // a ROUTER always prepends the identity
            if message.truncated { return .oversized(peer: peer) }
            return .message(peer: peer, frames: Array(message.frames.dropFirst()), userID: message.userID)
        }
        return nil
    }

    public func send(_ frames: [[UInt8]], to peer: [UInt8]) throws -> RouterSendOutcome {
        do {
            return try socket.trySend([peer] + frames) ? .sent : .queueFull
        } catch let error as ZMQError where error.isHostUnreachable {
            return .unreachable
        }
    }

    public func close(linger: Duration) {
        guard !socket.isClosed else { return }
        if linger > .zero { try? socket.set(.linger(linger.wholeMillisecondsRoundedUp)) }
        socket.close()
        zap?.stop()
    }
}

/// A client's connection was refused by its server during the ZeroMQ security handshake, with the
/// likely cause in words a user can act on.
public struct HandshakeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable {
        /// The server's ZAP handler answered 400: this client's public key is not on its allowlist.
        case keyNotAuthorized
        /// The ZAP handler answered another status (300 temporary, 500 internal error).
        case authenticationFailed(status: UInt32)
        /// The server uses CURVE, this client plaintext (libzmq reported the mechanism mismatch).
        case plaintextAgainstCurve
        /// This plaintext client's handshakes ended this many times in a row without any reason
        /// reported: a CURVE server that saw the mismatch first and hung up before the client read
        /// the server's mechanism looks exactly like this (which side notices first is a race).
        case plaintextHungUp(attempts: Int)
        /// This client uses CURVE, the server plaintext.
        case curveAgainstPlaintext
        /// The server hung up during the CURVE handshake this many times in a row, never completing
        /// one: it cannot decrypt the client's HELLO, i.e. the client has the wrong server key.
        case serverKeyMismatch(attempts: Int)
        /// The handshake failed this many times in a row for another reason (`ZMQ_PROTOCOL_ERROR_*`
        /// code of the last failure, or nil when the connection just ended), e.g. the endpoint is
        /// not a gfmc coordinator.
        case handshakeKeepsFailing(attempts: Int, protocolCode: UInt32?)
    }

    public let cause: Cause
    /// The endpoint the client connected to.
    public let endpoint: String
    /// The client's own CURVE public key (Z85), if it uses CURVE.
    public let clientPublicKey: String?

    /// The exit status of a worker process refused by its coordinator (gfmc's protocol-level
    /// refusals, e.g. another version, exit with the same status): a configuration problem that a
    /// restart does not fix.
    public static let exitCode: Int32 = 6

    public init(cause: Cause, endpoint: String, clientPublicKey: String?) {
        self.cause = cause
        self.endpoint = endpoint
        self.clientPublicKey = clientPublicKey
    }

    public var description: String {
        let prefix = "the coordinator at \(endpoint) refused the connection"
        switch cause {
        case .keyNotAuthorized:
            return "\(prefix): this worker's public key \(clientPublicKey ?? "?") is not in its --authorized-keys "
                + "(add this worker's NAME.pub there and restart the coordinator)"
        case .authenticationFailed(let status):
            return "\(prefix): its authentication handler answered status \(status) (not a key problem on this side; "
                + "see the coordinator's log)"
        case .plaintextAgainstCurve:
            return "\(prefix): it requires CURVE and this worker connects in plaintext (pass --curve-server-key "
                + "coordinator.pub --curve-secret-key NAME.key, keys from `gfmc keygen --out NAME`)"
        case .plaintextHungUp(let attempts):
            return "\(prefix): it hung up during the handshake \(attempts) times in a row; most likely it requires CURVE "
                + "and this worker connects in plaintext (pass --curve-server-key coordinator.pub --curve-secret-key "
                + "NAME.key, keys from `gfmc keygen --out NAME`)"
        case .curveAgainstPlaintext:
            return "\(prefix): it serves plaintext and this worker uses CURVE (start the coordinator with "
                + "--curve-secret-key, or drop this worker's --curve-server-key/--curve-secret-key)"
        case .serverKeyMismatch(let attempts):
            return "\(prefix): it hung up during the CURVE handshake \(attempts) times in a row, which is what a wrong "
                + "--curve-server-key does (it must be the NAME.pub of the coordinator's --curve-secret-key NAME.key)"
        case .handshakeKeepsFailing(let attempts, let code):
            let detail = code.map { " (ZMTP protocol error 0x\(String($0, radix: 16)))" } ?? ""
            return "\(prefix): the handshake failed \(attempts) times in a row\(detail); is this a gfmc coordinator "
                + "of the same protocol version?"
        }
    }
}

/// Turns a client socket's monitor events into a ``HandshakeRefusal`` once the cause is clear. Pure.
///
/// An explicit refusal (ZAP status, mechanism mismatch) is decided on its first occurrence; a
/// handshake that ends without a reason is decided only after `attemptsBeforeVerdict` consecutive
/// failures with no successful handshake in between, so one reset connection (a coordinator killed
/// mid-handshake) is not mistaken for a wrong key.
public struct HandshakeDiagnoser: Sendable {
    public let endpoint: String
    /// The client's CURVE public key (Z85), or nil for a plaintext client.
    public let clientPublicKey: String?
    public let attemptsBeforeVerdict: Int
    private var consecutiveFailures = 0
    private var lastProtocolCode: UInt32?

    public init(endpoint: String, clientPublicKey: String?, attemptsBeforeVerdict: Int = 3) {
        self.endpoint = endpoint
        self.clientPublicKey = clientPublicKey
        self.attemptsBeforeVerdict = max(1, attemptsBeforeVerdict)
    }

    private var usesCurve: Bool { clientPublicKey != nil }

    /// Feeds one event; returns the refusal when this event makes it certain enough.
    public mutating func observe(_ event: ZMQMonitorEvent) -> HandshakeRefusal? {
        switch event {
        case .handshakeSucceeded:
            consecutiveFailures = 0
            lastProtocolCode = nil
            return nil
        case .handshakeFailedAuth(let status):
            return refusal(status == 400 ? .keyNotAuthorized : .authenticationFailed(status: status))
        case .handshakeFailedProtocol(let code) where code == ZMQMonitorEvent.mechanismMismatchCode:
            return refusal(usesCurve ? .curveAgainstPlaintext : .plaintextAgainstCurve)
        case .handshakeFailedProtocol(let code):
            lastProtocolCode = code
            return countFailure(cryptographic: code == ZMQMonitorEvent.cryptographicCode)
        case .handshakeFailedNoDetail:
            return countFailure(cryptographic: false)
        default:
            return nil
        }
    }

    private mutating func countFailure(cryptographic: Bool) -> HandshakeRefusal? {
        consecutiveFailures += 1
        guard consecutiveFailures >= attemptsBeforeVerdict else { return nil }
        if usesCurve && (lastProtocolCode == nil || cryptographic) {
            return refusal(.serverKeyMismatch(attempts: consecutiveFailures))
        }
        if !usesCurve && lastProtocolCode == nil {
            return refusal(.plaintextHungUp(attempts: consecutiveFailures))
        }
        return refusal(.handshakeKeepsFailing(attempts: consecutiveFailures, protocolCode: lastProtocolCode))
    }

    private func refusal(_ cause: HandshakeRefusal.Cause) -> HandshakeRefusal {
        HandshakeRefusal(cause: cause, endpoint: endpoint, clientPublicKey: clientPublicKey)
    }
}

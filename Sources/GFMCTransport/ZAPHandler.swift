import CZeroMQ
import Foundation

/// One authentication decision of a ``ZAPHandler``.
public struct ZAPDecision: Sendable, Equatable, CustomStringConvertible {
    /// The ZAP domain of the server socket (`ZMQ_ZAP_DOMAIN`, often empty).
    public let domain: String
    /// The client's network address as libzmq reports it (e.g. `127.0.0.1`).
    public let address: String
    /// `"CURVE"`, `"NULL"` or `"PLAIN"`.
    public let mechanism: String
    /// The client's CURVE public key in Z85, when the mechanism is CURVE.
    public let clientPublicKey: String?
    public let accepted: Bool
    /// Why the decision was taken.
    public let reason: String
    /// A denial of a client (its public key; without one, its mechanism and address) not denied
    /// before by this handler: log these to report each refused key once, not once per attempt.
    /// Always false for an acceptance. After ``ZAPHandler/maxRememberedDenials`` distinct clients,
    /// new ones are no longer reported as first.
    public let isFirstDenial: Bool

    public var description: String {
        "ZAP \(accepted ? "accepted" : "DENIED") \(mechanism) client \(clientPublicKey ?? "-") from \(address)"
            + " (domain \"\(domain)\"): \(reason)"
    }

    func markingFirstDenial(_ first: Bool) -> ZAPDecision {
        ZAPDecision(domain: domain, address: address, mechanism: mechanism, clientPublicKey: clientPublicKey,
                    accepted: accepted, reason: reason, isFirstDenial: first && !accepted)
    }
}

/// A ZeroMQ Authentication Protocol handler (RFC 27) that admits only CURVE clients whose public key
/// is on an allowlist.
///
/// Without a ZAP handler, a CURVE server authenticates only itself: any client knowing the server's
/// public key gets in. libzmq asks the handler bound at `inproc://zeromq.zap.01` **in the same
/// context** about every new connection to a CURVE server socket. Start the handler (the initializer
/// returns once it is bound) BEFORE binding the server socket; at most one handler per context.
///
/// The handler runs on its own thread with its own REP socket and reports every decision through
/// `onDecision` (``ZAPDecision/isFirstDenial`` marks the ones to log, so each refused key is logged
/// once). Requests with another mechanism than CURVE, a malformed request, or (when `domain` is set)
/// another ZAP domain are denied with status 400. Accepted clients get their Z85
/// public key as ZAP user id (readable from message metadata `"User-Id"`).
///
/// `stop()` (also called on deinit) ends the thread within about `pollIntervalMilliseconds`.
///
/// `@unchecked Sendable`: its own fields are constants; everything the handler thread shares lives in `State`.
public final class ZAPHandler: @unchecked Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private let state: State
    private let thread: StartedThread

    /// Thread-shared state, guarded by its lock.
    ///
    /// `@unchecked Sendable`: every mutable field is read and written only under `lock`.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var allowed: Set<String>
        private var stopRequested = false
        private var decisions: [ZAPDecision] = []
        private var deniedClients: Set<String> = []
        let maxKept = 1000

        init(allowed: Set<String>) { self.allowed = allowed }

        func isAllowed(_ key: String) -> Bool { lock.withLock { allowed.contains(key) } }
        func setAllowed(_ keys: Set<String>) { lock.withLock { allowed = keys } }
        func requestStop() { lock.withLock { stopRequested = true } }
        var shouldStop: Bool { lock.withLock { stopRequested } }
        func remember(_ decision: ZAPDecision) {
            lock.withLock {
                decisions.append(decision)
                if decisions.count > maxKept { decisions.removeFirst(decisions.count - maxKept) }
            }
        }
        var recent: [ZAPDecision] { lock.withLock { decisions } }

        /// Whether `decision` denies a client not denied before (remembering up to `maxRememberedDenials`).
        func isFirstDenial(_ decision: ZAPDecision) -> Bool {
            guard !decision.accepted else { return false }
            let client = decision.clientPublicKey ?? "\(decision.mechanism) \(decision.address)"
            return lock.withLock {
                guard !deniedClients.contains(client), deniedClients.count < ZAPHandler.maxRememberedDenials else {
                    return false
                }
                deniedClients.insert(client)
                return true
            }
        }
    }

    /// How many distinct denied clients a handler remembers for ``ZAPDecision/isFirstDenial``.
    public static let maxRememberedDenials = 10_000

    /// Starts the handler thread and returns once its socket is bound.
    /// - Parameters:
    ///   - context: the context of the CURVE server socket(s) to protect.
    ///   - allowedPublicKeys: Z85 public keys (40 characters) of admitted clients.
    ///   - domain: if set, only requests for this ZAP domain can be accepted.
    ///   - pollIntervalMilliseconds: how often the thread checks for `stop()`.
    ///   - onDecision: called on the handler thread for every decision (keep it quick).
    /// - Throws: `CurveKeyError.malformedKey` for a bad allowlist entry; `ZMQError` if binding
    ///   failed (`EADDRINUSE`: this context already has a ZAP handler).
    public init(context: ZMQContext, allowedPublicKeys: some Sequence<String>, domain: String? = nil,
                pollIntervalMilliseconds: Int = 50,
                onDecision: (@Sendable (ZAPDecision) -> Void)? = nil) throws {
        let keys = Set(allowedPublicKeys)
        for key in keys { try CurveKeyPair.validate(key, source: "ZAP allowlist entry \"\(key)\"") }
        let state = State(allowed: keys)
        self.state = state
        thread = try StartedThread(named: "gfmc.zap", setup: {
            let socket = try ZMQSocket(context: context, type: .rep)
            try ZAPHandler.bindRetryingWhileReleased(socket)
            return socket
        }, run: { socket in
            ZAPHandler.serve(socket: socket, state: state, domain: domain,
                             pollIntervalMilliseconds: pollIntervalMilliseconds, onDecision: onDecision)
            socket.close()
        })
    }

    /// Replaces the allowlist (takes effect for the next connection).
    public func setAllowedPublicKeys(_ keys: some Sequence<String>) throws {
        let set = Set(keys)
        for key in set { try CurveKeyPair.validate(key, source: "ZAP allowlist entry \"\(key)\"") }
        state.setAllowed(set)
    }

    /// The most recent decisions (up to 1000), oldest first.
    public var recentDecisions: [ZAPDecision] { state.recent }

    /// Stops the handler thread and waits for it to close its socket (idempotent).
    public func stop() {
        thread.stop(requestStop: state.requestStop)
    }

    deinit { stop() }

    // MARK: Handler thread

    /// libzmq closes sockets asynchronously (its reaper thread unbinds them), so the endpoint of a handler that
    /// has just stopped can stay taken for a few milliseconds. Retry `EADDRINUSE` for up to 1 s; a handler that is
    /// still running keeps the endpoint longer than that and the error surfaces.
    private static func bindRetryingWhileReleased(_ socket: ZMQSocket) throws {
        let deadline = Date().addingTimeInterval(1)
        while true {
            do {
                try socket.bind(endpoint)
                return
            } catch let error as ZMQError where error.code == EADDRINUSE && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    private static func serve(socket: ZMQSocket, state: State, domain: String?, pollIntervalMilliseconds: Int,
                              onDecision: (@Sendable (ZAPDecision) -> Void)?) {
        let poller = ZMQPoller([socket])
        while !state.shouldStop {
            do {
                guard try !poller.readable(timeoutMilliseconds: pollIntervalMilliseconds).isEmpty,
                      let request = try socket.tryReceive(maxFrames: 16) else { continue }
                let (reply, decision) = answer(request, state: state, domain: domain)
                try socket.send(reply)
                if let undecorated = decision {
                    let decision = undecorated.markingFirstDenial(state.isFirstDenial(undecorated))
                    state.remember(decision)
                    onDecision?(decision)
                }
            } catch let error as ZMQError where error.isContextTerminated {
                return
            } catch let error as ZMQError where error.code == EMSGSIZE {
                // A malformed (over-long) request was discarded; REP still owes a reply.
                _ = try? socket.send(denial(requestID: [], text: "malformed ZAP request"))
            } catch {
                return
            }
        }
    }

    private static func denial(requestID: [UInt8], text: String) -> [[UInt8]] {
        [Array("1.0".utf8), requestID, Array("400".utf8), Array(text.utf8), [], []]
    }

    /// RFC 27 request: version, request id, domain, address, identity, mechanism, credentials….
    /// Reply: version, request id, status code, status text, user id, metadata.
    private static func answer(_ request: [[UInt8]], state: State, domain expectedDomain: String?)
        -> (reply: [[UInt8]], decision: ZAPDecision?) {
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            let id = request.count >= 2 ? request[1] : []
            return (denial(requestID: id, text: "malformed ZAP request"), nil)
        }
        let text = { (frame: [UInt8]) in String(decoding: frame, as: UTF8.self) }
        let requestID = request[1]
        let domain = text(request[2])
        let address = text(request[3])
        let mechanism = text(request[5])
        var publicKey: String?
        var accepted = false
        var reason: String
        if mechanism != "CURVE" {
            reason = "mechanism \(mechanism) is not allowed (CURVE only)"
        } else if request.count != 7 || request[6].count != 32 {
            reason = "CURVE credentials are not one 32-byte key"
        } else if let expected = expectedDomain, expected != domain {
            publicKey = try? Z85.encode(request[6])
            reason = "ZAP domain \"\(domain)\" is not \"\(expected)\""
        } else {
            publicKey = try? Z85.encode(request[6])
            if let key = publicKey, state.isAllowed(key) {
                accepted = true
                reason = "public key on the allowlist"
            } else {
                reason = "public key not on the allowlist"
            }
        }
        let decision = ZAPDecision(domain: domain, address: address, mechanism: mechanism,
                                   clientPublicKey: publicKey, accepted: accepted, reason: reason, isFirstDenial: false)
        let reply: [[UInt8]] = accepted
            ? [Array("1.0".utf8), requestID, Array("200".utf8), Array("OK".utf8), Array((publicKey ?? "").utf8), []]
            : denial(requestID: requestID, text: reason)
        return (reply, decision)
    }
}

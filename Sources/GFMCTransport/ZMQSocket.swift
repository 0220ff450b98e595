import CZeroMQ

/// One libzmq socket.
///
/// **Ownership:** libzmq sockets are not thread-safe. A `ZMQSocket` must be created, used and closed
/// by ONE thread (or one actor/isolation domain) for its whole life; it is deliberately not
/// `Sendable`. Create it inside the thread that runs its loop.
///
/// Every socket starts with `LINGER = 0`, so closing it or terminating the context never waits
/// for undelivered messages. The socket keeps its ``ZMQContext`` alive; `close()` is idempotent
/// and also runs on deinit.
///
/// Messages are multipart: an array of frames (`[[UInt8]]`). Empty frames are allowed.
public final class ZMQSocket {
    public let context: ZMQContext
    public let type: ZMQSocketType
    private var handle: UnsafeMutableRawPointer?

    /// The default cap on frames per received message (see ``receive(maxFrames:)``).
    public static let defaultMaxFrames = 1024

    public init(context: ZMQContext, type: ZMQSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.raw) else {
            throw ZMQError.current("zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
        try set(.linger(0))
    }

    deinit { close() }

    /// Closes the socket (idempotent). Later calls on it fail with `ENOTSOCK`.
    public func close() {
        if let handle {
            _ = zmq_close(handle)
            self.handle = nil
        }
    }

    public var isClosed: Bool { handle == nil }

    func rawHandle(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(code: ENOTSOCK, message: "socket already closed", operation: operation)
        }
        return handle
    }

    // MARK: Endpoints

    /// Binds to an endpoint such as `tcp://*:5555`, `tcp://127.0.0.1:0` (ephemeral port; read
    /// ``lastEndpoint``) or `inproc://name`.
    public func bind(_ endpoint: String) throws {
        let socket = try rawHandle("bind \(endpoint)")
        guard zmq_bind(socket, endpoint) == 0 else { throw ZMQError.current("bind \(endpoint)") }
    }

    /// Connects to an endpoint; libzmq reconnects automatically when the peer goes away.
    public func connect(_ endpoint: String) throws {
        let socket = try rawHandle("connect \(endpoint)")
        guard zmq_connect(socket, endpoint) == 0 else { throw ZMQError.current("connect \(endpoint)") }
    }

    /// The endpoint of the last `bind`/`connect` (`ZMQ_LAST_ENDPOINT`), with the real port after
    /// binding port 0.
    public var lastEndpoint: String {
        get throws {
            let socket = try rawHandle("get LAST_ENDPOINT")
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
                throw ZMQError.current("get LAST_ENDPOINT")
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: Options

    public func set(_ option: ZMQSocketOption) throws {
        switch option {
        case .linger(let ms): try setInt(ZMQ_LINGER, ms, option)
        case .routerMandatory(let on): try setInt(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, option)
        case .immediate(let on): try setInt(ZMQ_IMMEDIATE, on ? 1 : 0, option)
        case .reconnectInterval(let ms): try setInt(ZMQ_RECONNECT_IVL, ms, option)
        case .reconnectIntervalMax(let ms): try setInt(ZMQ_RECONNECT_IVL_MAX, ms, option)
        case .sendHighWaterMark(let n): try setInt(ZMQ_SNDHWM, n, option)
        case .receiveHighWaterMark(let n): try setInt(ZMQ_RCVHWM, n, option)
        case .maxMessageSize(let bytes):
            var value = bytes
            try setRaw(ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size, option)
        case .routingID(let bytes): try setBytes(ZMQ_ROUTING_ID, bytes, option)
        case .sendTimeout(let ms): try setInt(ZMQ_SNDTIMEO, ms, option)
        case .receiveTimeout(let ms): try setInt(ZMQ_RCVTIMEO, ms, option)
        case .curveServer(let on): try setInt(ZMQ_CURVE_SERVER, on ? 1 : 0, option)
        case .curvePublicKey(let key): try setBytes(ZMQ_CURVE_PUBLICKEY, Array(key.utf8), option)
        case .curveSecretKey(let key): try setBytes(ZMQ_CURVE_SECRETKEY, Array(key.utf8), option)
        case .curveServerKey(let key): try setBytes(ZMQ_CURVE_SERVERKEY, Array(key.utf8), option)
        case .zapDomain(let domain): try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8), option)
        case .handshakeInterval(let ms): try setInt(ZMQ_HANDSHAKE_IVL, ms, option)
        }
    }

    private func setInt(_ name: Int32, _ value: Int, _ option: ZMQSocketOption) throws {
        guard let narrow = Int32(exactly: value) else {
            throw ZMQError(code: EINVAL, message: "value \(value) does not fit a C int",
                           operation: "set \(option)")
        }
        var raw = narrow
        try setRaw(name, &raw, MemoryLayout<Int32>.size, option)
    }

    private func setBytes(_ name: Int32, _ bytes: [UInt8], _ option: ZMQSocketOption) throws {
        var copy = bytes
        try copy.withUnsafeMutableBytes { buffer in
            try setRaw(name, buffer.baseAddress, buffer.count, option)
        }
    }

    private func setRaw(_ name: Int32, _ value: UnsafeRawPointer?, _ size: Int,
                        _ option: ZMQSocketOption) throws {
        let operation = "set \(Self.redacted(option))"
        let socket = try rawHandle(operation)
        guard zmq_setsockopt(socket, name, value, size) == 0 else { throw ZMQError.current(operation) }
    }

    /// Option text for error messages, never containing a secret key.
    private static func redacted(_ option: ZMQSocketOption) -> String {
        if case .curveSecretKey = option { return "curveSecretKey(<redacted>)" }
        return "\(option)"
    }

    // MARK: Sending

    /// Sends one multipart message, blocking (up to `SNDTIMEO`) while the peer queue is full.
    /// A ROUTER's first frame is the destination identity; with `ROUTER_MANDATORY` an unknown
    /// identity fails with ``ZMQError/isHostUnreachable``.
    /// - Throws: `ZMQError` (`EINVAL` for an empty frame list; `EAGAIN` when `SNDTIMEO` expired).
    public func send(_ frames: [[UInt8]]) throws {
        guard try sendFrames(frames, dontWait: false) else {
            throw ZMQError(code: EAGAIN, message: ZMQError.text(EAGAIN), operation: "send")
        }
    }

    /// Sends without blocking. Returns `false` (nothing sent) when the message cannot be queued now.
    @discardableResult
    public func trySend(_ frames: [[UInt8]]) throws -> Bool {
        try sendFrames(frames, dontWait: true)
    }

    private func sendFrames(_ frames: [[UInt8]], dontWait: Bool) throws -> Bool {
        let socket = try rawHandle("send")
        guard !frames.isEmpty else {
            throw ZMQError(code: EINVAL, message: "a message needs at least one frame", operation: "send")
        }
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index + 1 < frames.count ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            if rc < 0 {
                let error = ZMQError.current("send frame \(index)")
                // libzmq queues a multipart message atomically: once the first frame is accepted
                // the remaining ones cannot hit the high-water mark, so EAGAIN only occurs here.
                if error.code == EAGAIN && index == 0 && dontWait { return false }
                throw error
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, blocking up to `RCVTIMEO`.
    /// - Parameter maxFrames: messages with more frames are read to the end and discarded, and
    ///   the call fails with `EMSGSIZE` (the socket stays usable).
    /// - Throws: `ZMQError` (`EAGAIN` when `RCVTIMEO` expired, `ETERM` after context shutdown).
    public func receive(maxFrames: Int = ZMQSocket.defaultMaxFrames) throws -> [[UInt8]] {
        guard let message = try receiveFrames(dontWait: false, maxFrames: maxFrames) else {
            throw ZMQError(code: EAGAIN, message: ZMQError.text(EAGAIN), operation: "receive")
        }
        return message
    }

    /// Receives one whole multipart message if one is waiting; `nil` otherwise.
    public func tryReceive(maxFrames: Int = ZMQSocket.defaultMaxFrames) throws -> [[UInt8]]? {
        try receiveFrames(dontWait: true, maxFrames: maxFrames)
    }

    /// Receives one whole multipart message with its ZAP user id (metadata `"User-Id"`: the client's Z85 CURVE
    /// public key when a `ZAPHandler` admitted it) if one is waiting (nil otherwise), never failing for its size: a
    /// message with more than `maxFrames` frames is read to the end and comes back with only its first
    /// `maxFrames` frames and `truncated` set (a ROUTER's first frame is the sender's identity).
    public func tryReceiveMessage(maxFrames: Int = ZMQSocket.defaultMaxFrames) throws -> ZMQReceivedMessage? {
        try receiveMessage(dontWait: true, maxFrames: maxFrames)
    }

    private func receiveFrames(dontWait: Bool, maxFrames: Int) throws -> [[UInt8]]? {
        guard let message = try receiveMessage(dontWait: dontWait, maxFrames: maxFrames) else { return nil }
        try message.throwIfTruncated()
        return message.frames
    }

    private func receiveMessage(dontWait: Bool, maxFrames: Int) throws -> ZMQReceivedMessage? {
        var userID: String?
        let socket = try rawHandle("receive")
        var frames: [[UInt8]] = []
        var received = 0
        var more = true
        while more {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            // Later frames of a message are already queued (atomic delivery), so only the first
            // receive may legitimately report EAGAIN.
            let flags: Int32 = (dontWait && received == 0) ? ZMQ_DONTWAIT : 0
            var rc: Int32
            repeat {
                rc = zmq_msg_recv(&message, socket, flags)
            } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 {
                let error = ZMQError.current("receive frame \(received)")
                if error.code == EAGAIN && received == 0 { return nil }
                throw error
            }
            received += 1
            if received == 1, let value = zmq_msg_gets(&message, "User-Id") {
                let text = String(cString: value)
                userID = text.isEmpty || text.utf8.count > 64 ? nil : text
            }
            if received <= maxFrames {
                let size = zmq_msg_size(&message)
                if size == 0 {
                    frames.append([])
                } else if let data = zmq_msg_data(&message) {
                    frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    frames.append([])
                }
            }
            more = zmq_msg_more(&message) != 0
        }
        return ZMQReceivedMessage(frames: frames, userID: userID, frameCount: received, maxFrames: maxFrames)
    }
}

/// A message as `ZMQSocket.tryReceiveMessage` received it.
public struct ZMQReceivedMessage: Equatable, Sendable {
    /// The message's first `maxFrames` frames (all of them unless `truncated`).
    public var frames: [[UInt8]]
    /// The ZAP user id (metadata `"User-Id"`), nil without one.
    public var userID: String?
    /// How many frames the message had.
    public var frameCount: Int
    /// The frame limit the message was received with.
    public var maxFrames: Int
    /// More frames than `maxFrames` arrived; the rest were discarded.
    public var truncated: Bool { frameCount > maxFrames }

    func throwIfTruncated() throws {
        guard truncated else { return }
        throw ZMQError(code: EMSGSIZE,
                       message: "message with \(frameCount) frames exceeds the limit of \(maxFrames); discarded",
                       operation: "receive")
    }
}

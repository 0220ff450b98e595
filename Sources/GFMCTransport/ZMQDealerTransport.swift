import CZeroMQ
import Foundation

/// `MessageTransport` over a ZeroMQ DEALER socket connected to one ROUTER endpoint: `ZMQ_IMMEDIATE` (a
/// message is taken only while a peer is connected), reconnect back-off 100 ms…5 s, optional CURVE, and a
/// `HandshakeWatch` whose refusal `receive` throws. `wake()` writes to a pipe polled beside the socket.
///
/// Create, use and close it on one thread (the socket's rule); only `wake()` may be called from others.
///
/// `@unchecked Sendable`: on that rule; `wake()` touches only `closed` (under `lock`) and the pipe.
public final class ZMQDealerTransport: MessageTransport, @unchecked Sendable {
    /// CURVE settings of the client side (Z85 keys).
    public struct CurveClientKeys: Sendable {
        public var serverPublicKey: String
        public var publicKey: String
        public var secretKey: String

        public init(serverPublicKey: String, publicKey: String, secretKey: String) {
            self.serverPublicKey = serverPublicKey
            self.publicKey = publicKey
            self.secretKey = secretKey
        }
    }

    private let context: ZMQContext
    private let socket: ZMQSocket
    private let handshakes: HandshakeWatch
    /// Read and write ends of the wake pipe (both non-blocking).
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Guards `closed` against `wake()` from other threads (the pipe's descriptors may be reused once closed).
    private let lock = NSLock()
    private var closed = false
    /// Frames per message beyond which a message is discarded (`EMSGSIZE`) instead of received.
    private let maxFrames: Int

    /// Connects to `endpoint`.
    /// - Parameters:
    ///   - routingID: the DEALER's identity as the ROUTER sees it (1…255 bytes).
    ///   - maxMessageBytes: larger incoming messages are refused by libzmq (`ZMQ_MAXMSGSIZE`).
    /// - Throws: `ZMQError` for a bad endpoint or bad keys; `ZMQDealerTransportError` if the wake pipe
    ///   cannot be made.
    public init(endpoint: String, routingID: [UInt8], maxMessageBytes: Int, curve: CurveClientKeys?,
                maxFrames: Int = 8) throws {
        self.maxFrames = maxFrames
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.set(.routingID(routingID))
        try socket.set(.immediate(true))
        try socket.set(.reconnectInterval(100))
        try socket.set(.reconnectIntervalMax(5000))
        try socket.set(.maxMessageSize(Int64(maxMessageBytes)))
        if let keys = curve {
            try socket.set(.curveServerKey(keys.serverPublicKey))
            try socket.set(.curvePublicKey(keys.publicKey))
            try socket.set(.curveSecretKey(keys.secretKey))
        }
        handshakes = try HandshakeWatch(socket: socket, diagnoser: HandshakeDiagnoser(
            endpoint: endpoint, clientPublicKey: curve?.publicKey))
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            handshakes.stop()
            throw ZMQDealerTransportError(message: "cannot create the wake pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        do {
            try socket.connect(endpoint)
        } catch {
            handshakes.stop()
            Foundation.close(wakeRead)
            Foundation.close(wakeWrite)
            throw error
        }
    }

    deinit { close(linger: .zero) }

    public func trySend(_ frames: [[UInt8]]) throws -> Bool {
        try socket.trySend(frames)
    }

    public func receive(timeout: Duration) throws -> [[UInt8]]? {
        if let refusal = handshakes.refusal { throw refusal }
        if let frames = try socket.tryReceive(maxFrames: maxFrames) { return frames }
        guard timeout > .zero else { return nil }
        var items = [
            zmq_pollitem_t(socket: try socket.rawHandle("poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: wakeRead, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        let rc = zmq_poll(&items, 2, timeout.wholeMillisecondsRoundedUp)
        if rc < 0 && zmq_errno() != EINTR { throw ZMQError.current("poll") }
        if items[1].revents & Int16(ZMQ_POLLIN) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &buffer, buffer.count) > 0 {}
        }
        if let refusal = handshakes.refusal { throw refusal }
        return try socket.tryReceive(maxFrames: maxFrames)
    }

    public func wake() {
        lock.withLock {
            guard !closed else { return }
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)  // a full pipe already means "wake"
        }
    }

    public func close(linger: Duration) {
        let first = lock.withLock { () -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        if linger > .zero { try? socket.set(.linger(linger.wholeMillisecondsRoundedUp)) }
        handshakes.stop()
        socket.close()
        lock.withLock {
            Foundation.close(wakeRead)
            Foundation.close(wakeWrite)
        }
    }
}

public struct ZMQDealerTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "transport: \(message)" }
}

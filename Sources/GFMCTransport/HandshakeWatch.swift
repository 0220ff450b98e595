import CZeroMQ
import Foundation

/// Watches a client socket's security handshakes (libzmq's socket monitor, on a thread of its own)
/// and records the first ``HandshakeRefusal`` its ``HandshakeDiagnoser`` decides.
///
/// Create it on the thread that owns `socket`, **before** `socket.connect`, so no event is missed;
/// the socket's owner then reads ``refusal`` whenever convenient (it is thread-safe). `stop()`
/// (idempotent, also on deinit) ends the thread within about 50 ms; call it before closing `socket`.
///
/// `@unchecked Sendable`: its own fields are constants; the monitor thread shares only `State`, under its lock.
public final class HandshakeWatch: @unchecked Sendable {
    private let state = State()
    private let thread: StartedThread

    /// `@unchecked Sendable`: every mutable field is read and written only under `lock`.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var firstRefusal: HandshakeRefusal?
        private var stopRequested = false
        func record(_ refusal: HandshakeRefusal) { lock.withLock { if firstRefusal == nil { firstRefusal = refusal } } }
        var refusal: HandshakeRefusal? { lock.withLock { firstRefusal } }
        func requestStop() { lock.withLock { stopRequested = true } }
        var shouldStop: Bool { lock.withLock { stopRequested } }
    }

    /// Starts monitoring `socket` and returns once the monitor's reader is connected.
    /// - Parameter onEvent: called on the monitor thread for every handshake event (keep it quick).
    /// - Throws: `ZMQError` if libzmq refuses to monitor the socket.
    public init(socket: ZMQSocket, diagnoser: HandshakeDiagnoser,
                onEvent: (@Sendable (ZMQMonitorEvent) -> Void)? = nil) throws {
        let handle = try socket.rawHandle("monitor")
        let endpoint = "inproc://gfmc-handshake-monitor-\(UUID().uuidString)"
        guard zmq_socket_monitor(handle, endpoint, ZMQMonitorEvent.handshakeMask) == 0 else {
            throw ZMQError.current("zmq_socket_monitor \(endpoint)")
        }
        let context = socket.context
        let state = state
        do {
            thread = try StartedThread(named: "gfmc.handshake-monitor", setup: {
                let reader = try ZMQSocket(context: context, type: .pair)
                try reader.connect(endpoint)
                return reader
            }, run: { reader in
                HandshakeWatch.read(reader, diagnoser: diagnoser, state: state, onEvent: onEvent)
                reader.close()
            })
        } catch {
            _ = zmq_socket_monitor(handle, nil, 0)
            throw error
        }
    }

    /// The refusal decided so far, if any.
    public var refusal: HandshakeRefusal? { state.refusal }

    /// Stops the monitor thread and waits for it (idempotent). Call on the socket's owning thread
    /// while the socket is still open.
    public func stop() {
        thread.stop(requestStop: state.requestStop)
    }

    deinit { stop() }

    private static func read(_ reader: ZMQSocket, diagnoser initial: HandshakeDiagnoser, state: State,
                             onEvent: (@Sendable (ZMQMonitorEvent) -> Void)?) {
        var diagnoser = initial
        let poller = ZMQPoller([reader])
        while !state.shouldStop {
            do {
                guard try !poller.readable(timeoutMilliseconds: 50).isEmpty else { continue }
                while let frames = try reader.tryReceive(maxFrames: 4) {
                    guard let (event, _) = ZMQMonitorEvent.decode(frames) else { continue }
                    if event == .monitorStopped { return }
                    onEvent?(event)
                    if let refusal = diagnoser.observe(event) { state.record(refusal) }
                }
            } catch {
                return
            }
        }
    }
}

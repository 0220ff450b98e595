import CZeroMQ

/// Owns one libzmq context. Contexts are thread-safe in libzmq, so this type is `Sendable`.
///
/// Every ``ZMQSocket`` keeps its context alive, so the context is terminated (`zmq_ctx_term`) only
/// after all of its sockets were closed and released; `ZMQ_BLOCKY` is switched off so termination
/// never waits for unsent messages.
///
/// `@unchecked Sendable`: `handle` never changes, and libzmq contexts are thread-safe (sockets are not, and are not shared).
public final class ZMQContext: @unchecked Sendable {
    /// The raw `void *` context handle. Valid until this object is deinitialized.
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.current("zmq_ctx_new") }
        self.handle = handle
        _ = zmq_ctx_set(handle, ZMQ_BLOCKY, 0)
    }

    /// Makes every blocking call on this context's sockets (in any thread) return `ETERM`
    /// (`zmq_ctx_shutdown`). Sockets must still be closed by their owning threads afterwards.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Whether this libzmq build supports a capability, e.g. `"curve"` (`zmq_has`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }

    /// libzmq's version as (major, minor, patch).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// Identity of one connected worker as the coordinator sees it: the ROUTER socket's routing identity
/// (opaque bytes). A worker that restarts gets a new identity; a worker that reconnects with the same
/// identity and announces itself again starts a new session.
public struct WorkerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    public static func < (a: WorkerID, b: WorkerID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    /// Printable form: the identity as text when it is printable ASCII, else hexadecimal.
    public var description: String {
        if !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        return "0x" + bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}

/// Identity of one task (a batch of trials handed to one worker). `epoch` is chosen at random by each
/// coordinator process, `serial` counts tasks within it, so a result for a task issued by an earlier
/// coordinator incarnation can never be mistaken for a current task.
public struct TaskID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let epoch: UInt64
    public let serial: UInt64

    public init(epoch: UInt64, serial: UInt64) {
        self.epoch = epoch
        self.serial = serial
    }

    public static func < (a: TaskID, b: TaskID) -> Bool { (a.epoch, a.serial) < (b.epoch, b.serial) }

    public var description: String { "task \(serial)@\(String(epoch, radix: 16))" }
}

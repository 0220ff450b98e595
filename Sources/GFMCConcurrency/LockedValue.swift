import Foundation

/// A value shared between threads: every read and write happens while one lock is held.
///
/// `@unchecked Sendable`: the only mutable state, `stored`, is touched only inside `lock.withLock`.
public final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ initial: Value) { stored = initial }

    /// The current value (a copy taken under the lock).
    public var value: Value { lock.withLock { stored } }

    /// Replaces the value.
    public func set(_ new: Value) { lock.withLock { stored = new } }

    /// Runs `body` with exclusive access to the value (read-modify-write); keep it short, it holds the lock.
    @discardableResult
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&stored) }
    }
}

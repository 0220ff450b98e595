import Foundation

/// Runs a producer and a consumer at the same time, handing items over one at a time: `produce` runs on a
/// background thread and calls `emit` for each item; `consume` runs on the calling thread, in emission order.
///
/// `emit` returns only once the consumer has taken the item (a rendezvous), so at most two items are alive at
/// once: the one being consumed and the one the producer is building. Returns when both sides are done.
///
/// Errors: the first error of either side is rethrown. A consumer error makes the producer's next `emit` throw
/// `OverlappedCancelled` (so `produce` unwinds) and is the one rethrown.
///
/// `produce` need not be `Sendable`: it runs on exactly one other thread, which is joined before this function
/// returns, and the calling thread does not touch what it captures in the meantime (it only runs `consume`).
/// It is `@escaping` only because the thread object may release it a moment after the join; it is never
/// called again.
public func overlapped<Item: Sendable>(produce: @escaping (_ emit: (Item) throws -> Void) throws -> Void,
                                       consume: (Item) throws -> Void) throws {
    let exchange = RendezvousExchange<Item>()
    let producer = UncheckedProducer(run: produce)
    let thread = BackgroundThread<Void>("producer") {
        defer { exchange.producerFinished() }
        try producer.run { try exchange.hand($0) }
    }
    var consumerError: Error?
    while let item = exchange.take() {
        do { try consume(item) } catch {
            consumerError = error
            exchange.cancel()
            break
        }
    }
    // Joined before returning: nothing `produce` captured is touched after this.
    let producerOutcome = thread.wait(seconds: .infinity)!
    if let consumerError { throw consumerError }
    try producerOutcome.get()
}

/// What the producer's `emit` throws once the consumer has failed.
public struct OverlappedCancelled: Error {
    public init() {}
}

/// The producer closure, carried to its thread. `@unchecked Sendable`: see `overlapped` (one thread runs it,
/// joined before `overlapped` returns).
private struct UncheckedProducer<Item>: @unchecked Sendable {
    let run: ((Item) throws -> Void) throws -> Void
}

/// One item in flight between the two threads. `@unchecked Sendable`: all state is guarded by `condition`.
private final class RendezvousExchange<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slot: Item?
    private var finished = false
    private var cancelled = false

    /// Producer side: offers `item` and waits until the consumer took it.
    func hand(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled else { throw OverlappedCancelled() }
        slot = item
        condition.broadcast()
        while slot != nil && !cancelled { condition.wait() }
        if cancelled { throw OverlappedCancelled() }
    }

    /// Consumer side: the next item, or nil once the producer has finished and nothing is left.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !finished { condition.wait() }
        guard let item = slot else { return nil }
        slot = nil
        condition.broadcast()
        return item
    }

    func producerFinished() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        slot = nil
        condition.broadcast()
        condition.unlock()
    }
}

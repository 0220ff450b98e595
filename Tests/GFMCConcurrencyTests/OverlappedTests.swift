import Foundation
import GFMCConcurrency
import Testing

@Suite("overlapped: a producer thread handing items to the calling thread")
struct OverlappedTests {
    struct Failure: Error, Equatable { var tag: String }

    @Test("Every item arrives once, in order, and the producer runs ahead by at most one item")
    func orderAndBound() throws {
        let emitted = LockedValue(0)
        let consumed = LockedValue(0)
        let maximumAhead = LockedValue(0)
        var received: [Int] = []
        try overlapped(produce: { emit in
            for i in 0..<2000 {
                emitted.withLock { $0 += 1 }
                let ahead = emitted.value - consumed.value
                maximumAhead.withLock { $0 = max($0, ahead) }
                try emit(i)
            }
        }) { item in
            received.append(item)
            consumed.withLock { $0 += 1 }
        }
        #expect(received == Array(0..<2000))
        // The item being handed over, plus the one being consumed: never more than two in flight.
        #expect(maximumAhead.value <= 2)
    }

    @Test("A producer error is rethrown after the items emitted before it were consumed")
    func producerError() {
        var received: [Int] = []
        #expect(throws: Failure(tag: "producer")) {
            try overlapped(produce: { emit in
                for i in 0..<5 { try emit(i) }
                throw Failure(tag: "producer")
            }) { received.append($0) }
        }
        #expect(received == [0, 1, 2, 3, 4])
    }

    @Test("A consumer error stops the producer at its next emit and is the error rethrown")
    func consumerError() {
        let emits = LockedValue(0)
        let producerSawCancel = LockedValue(false)
        #expect(throws: Failure(tag: "consumer")) {
            try overlapped(produce: { emit in
                do {
                    for i in 0..<1_000_000 {
                        emits.withLock { $0 += 1 }
                        try emit(i)
                    }
                } catch is OverlappedCancelled {
                    producerSawCancel.set(true)
                    throw OverlappedCancelled()
                }
            }) { (item: Int) in
                if item == 3 { throw Failure(tag: "consumer") }
            }
        }
        #expect(producerSawCancel.value)
        #expect(emits.value <= 5)
    }

    @Test("No items: returns at once")
    func empty() throws {
        var count = 0
        try overlapped(produce: { (_: (Int) throws -> Void) in }) { _ in count += 1 }
        #expect(count == 0)
    }
}

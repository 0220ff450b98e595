import Foundation
import Testing
import GFMCTransport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketTests {
    @Test func routerDealerRoundTripMultipart() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try boundRouter(context, options: [.routerMandatory(true)])
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":0"))
        let dealer = try connectedDealer(context, to: endpoint, options: [.routingID(bytes("worker-1"))])

        let allBytes = (0...255).map { UInt8($0) }
        let payload: [[UInt8]] = [bytes("task"), [], allBytes, [0], Array(repeating: 7, count: 100_000)]
        try dealer.send(payload)
        let atRouter = try #require(try receive(router, within: 5000))
        #expect(atRouter.first == bytes("worker-1"))
        #expect(Array(atRouter.dropFirst()) == payload)

        let reply: [[UInt8]] = [[], bytes("result"), allBytes.reversed()]
        try router.send([bytes("worker-1")] + reply)
        let atDealer = try #require(try receive(dealer, within: 5000))
        #expect(atDealer == reply)
    }

    @Test func nonBlockingReceiveReturnsNilWhenNothingWaits() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try boundRouter(context)
        let dealer = try connectedDealer(context, to: endpoint)
        #expect(try router.tryReceive() == nil)
        #expect(try dealer.tryReceive() == nil)
        // A blocking receive with a timeout reports EAGAIN as "would block".
        try dealer.set(.receiveTimeout(20))
        #expect {
            _ = try dealer.receive()
        } throws: { ($0 as? ZMQError)?.isWouldBlock == true }
    }

    @Test func nonBlockingSendWithoutPeerReturnsFalse() throws {
        let context = try ZMQContext()
        // IMMEDIATE: nothing is queued while no connection is complete (nobody listens any more).
        let (listener, endpoint) = try boundRouter(context)
        listener.close()
        let dealer = try connectedDealer(context, to: endpoint, options: [.immediate(true)])
        #expect(try dealer.trySend([bytes("x")]) == false)
    }

    @Test func pollerReportsOnlyReadableSockets() throws {
        let context = try ZMQContext()
        let (quiet, _) = try boundRouter(context)
        let (busy, endpoint) = try boundRouter(context)
        let poller = ZMQPoller([quiet, busy])
        #expect(try poller.readable(timeoutMilliseconds: 0).isEmpty)
        #expect(try poller.readable(timeoutMilliseconds: 20).isEmpty)
        let dealer = try connectedDealer(context, to: endpoint)
        try dealer.send([bytes("ping")])
        #expect(try poller.readable(timeoutMilliseconds: 5000) == [1])
        _ = try busy.receive()
        #expect(try poller.readable(timeoutMilliseconds: 0).isEmpty)
    }

    @Test func routerMandatoryReportsUnknownPeerAsHostUnreachable() throws {
        let context = try ZMQContext()
        let (router, _) = try boundRouter(context, options: [.routerMandatory(true)])
        #expect {
            try router.send([bytes("nobody"), bytes("hello")])
        } throws: { error in
            guard let error = error as? ZMQError else { return false }
            return error.isHostUnreachable && error.code == EHOSTUNREACH && !error.message.isEmpty
        }
        #expect {
            try router.trySend([bytes("nobody"), bytes("hello")])
        } throws: { ($0 as? ZMQError)?.isHostUnreachable == true }
    }

    @Test func oversizedInboundMessageIsDroppedAndSocketKeepsWorking() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try boundRouter(context, options: [.maxMessageSize(1000)])
        let offender = try connectedDealer(context, to: endpoint, options: [.routingID(bytes("big")),
                                                                               .reconnectInterval(20)])
        try offender.send([Array(repeating: 1, count: 5000)])
        #expect(try receive(router, within: 300) == nil)

        let good = try connectedDealer(context, to: endpoint, options: [.routingID(bytes("good"))])
        try good.send([bytes("small")])
        let message = try #require(try receive(router, within: 5000))
        #expect(message == [bytes("good"), bytes("small")])

        // The offender was disconnected, reconnects, and its next small message gets through.
        try offender.send([bytes("sorry")])
        let later = try #require(try receive(router, within: 5000))
        #expect(later == [bytes("big"), bytes("sorry")])
    }

    @Test func receiveSurvivesAnyShapeOfMessage() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try boundRouter(context)
        let dealer = try connectedDealer(context, to: endpoint, options: [.routingID(bytes("d"))])

        try dealer.send([[]])
        #expect(try receive(router, within: 5000) == [bytes("d"), []])

        let many = Array(repeating: [UInt8](), count: 3000)
        try dealer.send(many)
        let poller = ZMQPoller([router])
        #expect(try poller.readable(timeoutMilliseconds: 5000) == [0])
        #expect {
            _ = try router.tryReceive(maxFrames: 100)
        } throws: { ($0 as? ZMQError)?.code == EMSGSIZE }

        // The over-long message was consumed whole; the next one arrives intact.
        try dealer.send([bytes("after")])
        #expect(try receive(router, within: 5000) == [bytes("d"), bytes("after")])

        let fragments: [[UInt8]] = (0..<50).map { Array(repeating: UInt8($0), count: $0 * 37) }
        try dealer.send(fragments)
        #expect(try receive(router, within: 5000) == [bytes("d")] + fragments)
    }

    @Test func emptyMessageAndClosedSocketAreErrors() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        #expect { try dealer.send([]) } throws: { ($0 as? ZMQError)?.code == EINVAL }
        dealer.close()
        dealer.close()
        #expect(dealer.isClosed)
        #expect { try dealer.send([bytes("x")]) } throws: { ($0 as? ZMQError)?.code == ENOTSOCK }
        #expect { try dealer.connect("inproc://x") } throws: { error in
            (error as? ZMQError)?.operation.contains("inproc://x") == true
        }
    }

    @Test func badEndpointNamesTheEndpoint() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        #expect {
            try router.bind("nonsense://here")
        } throws: { error in
            guard let error = error as? ZMQError else { return false }
            return error.description.contains("nonsense://here")
        }
    }

    @Test func contextShutdownUnblocksReceive() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.bind("inproc://shutdown-test")
        try dealer.set(.receiveTimeout(5000))
        context.shutdown()
        #expect { _ = try dealer.receive() } throws: { ($0 as? ZMQError)?.isContextTerminated == true }
    }
}

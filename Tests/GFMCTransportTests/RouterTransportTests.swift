import Foundation
import GFMCTransport
import Testing

/// `ZMQRouterTransport` over loopback with a plain DEALER as the peer. Every wait is bounded.
@Suite("ZeroMQ router transport")
struct RouterTransportTests {
    /// The first receipt within `seconds` (nil on timeout).
    func receipt(_ router: ZMQRouterTransport, within seconds: Double = 5) throws -> RouterReceipt? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let receipt = try router.receive(timeout: .milliseconds(50)) { return receipt }
        }
        return nil
    }

    @Test("reports the real endpoint; receives with the peer's identity; answers it; unknown peers are unreachable")
    func roundTrip() throws {
        let router = try ZMQRouterTransport(endpoint: "tcp://127.0.0.1:0", maxMessageBytes: 1 << 16, curve: nil)
        defer { router.close(linger: .zero) }
        #expect(router.endpoint.hasPrefix("tcp://127.0.0.1:") && !router.endpoint.hasSuffix(":0"))
        let context = try ZMQContext()
        let dealer = try connectedDealer(context, to: router.endpoint, options: [.routingID(bytes("peer-1"))])
        try dealer.send([bytes("a"), bytes("b")])
        #expect(try receipt(router) == .message(peer: bytes("peer-1"), frames: [bytes("a"), bytes("b")], userID: nil))
        #expect(try router.send([bytes("reply")], to: bytes("peer-1")) == .sent)
        #expect(try receive(dealer, within: 5000) == [bytes("reply")])
        #expect(try router.send([bytes("x")], to: bytes("nobody")) == .unreachable)
        #expect(try router.receive(timeout: .zero) == nil)
    }

    @Test("a message with too many frames is reported as oversized, with its sender; the next one arrives intact")
    func oversized() throws {
        let router = try ZMQRouterTransport(endpoint: "tcp://127.0.0.1:0", maxMessageBytes: 1 << 16, maxFrames: 4,
                                            curve: nil)
        defer { router.close(linger: .zero) }
        let context = try ZMQContext()
        let dealer = try connectedDealer(context, to: router.endpoint, options: [.routingID(bytes("big"))])
        // Identity + 4 frames > 4.
        try dealer.send([[1], [2], [3], [4]])
        try dealer.send([[5], [6], [7]])
        #expect(try receipt(router) == .oversized(peer: bytes("big")))
        #expect(try receipt(router) == .message(peer: bytes("big"), frames: [[5], [6], [7]], userID: nil))
    }

    @Test("binding an endpoint in use fails with ZMQError")
    func bindFailure() throws {
        let first = try ZMQRouterTransport(endpoint: "tcp://127.0.0.1:0", maxMessageBytes: 1024, curve: nil)
        defer { first.close(linger: .zero) }
        #expect(throws: ZMQError.self) {
            _ = try ZMQRouterTransport(endpoint: first.endpoint, maxMessageBytes: 1024, curve: nil)
        }
    }
}

import Foundation
import Testing
import GFMCTransport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HandshakeDiagnoserTests {
    let key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

    @Test func monitorFramesDecode() {
        var raw = [UInt8](repeating: 0, count: 6)
        raw.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(0x4000), toByteOffset: 0, as: UInt16.self)
            $0.storeBytes(of: UInt32(400), toByteOffset: 2, as: UInt32.self)
        }
        let decoded = ZMQMonitorEvent.decode([raw, Array("tcp://127.0.0.1:5".utf8)])
        #expect(decoded?.event == .handshakeFailedAuth(status: 400))
        #expect(decoded?.endpoint == "tcp://127.0.0.1:5")
        #expect(ZMQMonitorEvent.decode([raw]) == nil)
        #expect(ZMQMonitorEvent.decode([Array(raw.prefix(5)), []]) == nil)
        #expect(ZMQMonitorEvent(number: 0x1000, value: 0) == .handshakeSucceeded)
        #expect(ZMQMonitorEvent(number: 0x2000, value: ZMQMonitorEvent.mechanismMismatchCode)
                == .handshakeFailedProtocol(code: ZMQMonitorEvent.mechanismMismatchCode))
        #expect(ZMQMonitorEvent(number: 0x0800, value: 104) == .handshakeFailedNoDetail(errno: 104))
        #expect(ZMQMonitorEvent(number: 0x8000, value: 1) == .other(event: 0x8000, value: 1))
    }

    @Test func explicitRefusalsAreDecidedAtOnce() {
        var curve = HandshakeDiagnoser(endpoint: "tcp://h:1", clientPublicKey: key)
        #expect(curve.observe(.connected) == nil)
        #expect(curve.observe(.handshakeFailedAuth(status: 400))?.cause == .keyNotAuthorized)
        #expect(curve.observe(.handshakeFailedAuth(status: 500))?.cause == .authenticationFailed(status: 500))
        #expect(curve.observe(.handshakeFailedProtocol(code: ZMQMonitorEvent.mechanismMismatchCode))?.cause
                == .curveAgainstPlaintext)
        var plain = HandshakeDiagnoser(endpoint: "tcp://h:1", clientPublicKey: nil)
        #expect(plain.observe(.handshakeFailedProtocol(code: ZMQMonitorEvent.mechanismMismatchCode))?.cause
                == .plaintextAgainstCurve)
    }

    @Test func silentHangupsNeedConsecutiveFailures() {
        var d = HandshakeDiagnoser(endpoint: "tcp://h:1", clientPublicKey: key, attemptsBeforeVerdict: 3)
        #expect(d.observe(.handshakeFailedNoDetail(errno: 0)) == nil)
        #expect(d.observe(.handshakeFailedNoDetail(errno: 0)) == nil)
        // A successful handshake in between (a coordinator that was merely restarting) starts the count again.
        #expect(d.observe(.handshakeSucceeded) == nil)
        #expect(d.observe(.disconnected) == nil)
        #expect(d.observe(.handshakeFailedNoDetail(errno: 0)) == nil)
        #expect(d.observe(.handshakeFailedNoDetail(errno: 0)) == nil)
        let refusal = d.observe(.handshakeFailedNoDetail(errno: 104))
        #expect(refusal?.cause == .serverKeyMismatch(attempts: 3))
        #expect(refusal?.description.contains("--curve-server-key") == true)

        // A plaintext client whose handshakes end without a reason: a CURVE server that hung up first.
        var hungUp = HandshakeDiagnoser(endpoint: "tcp://h:1", clientPublicKey: nil, attemptsBeforeVerdict: 2)
        #expect(hungUp.observe(.handshakeFailedNoDetail(errno: 0)) == nil)
        let silent = hungUp.observe(.handshakeFailedNoDetail(errno: 104))
        #expect(silent?.cause == .plaintextHungUp(attempts: 2))
        #expect(silent?.description.contains("it requires CURVE and this worker connects in plaintext") == true)

        var plain = HandshakeDiagnoser(endpoint: "tcp://h:1", clientPublicKey: nil, attemptsBeforeVerdict: 2)
        #expect(plain.observe(.handshakeFailedProtocol(code: 0x1000_0001)) == nil)
        #expect(plain.observe(.handshakeFailedProtocol(code: 0x1000_0001))?.cause
                == .handshakeKeepsFailing(attempts: 2, protocolCode: 0x1000_0001))
    }

    @Test func messagesNameTheCauseAndTheFix() {
        let unlisted = HandshakeRefusal(cause: .keyNotAuthorized, endpoint: "tcp://c:5555", clientPublicKey: key)
        #expect(unlisted.description.contains(key) && unlisted.description.contains("--authorized-keys")
                && unlisted.description.contains("tcp://c:5555"))
        let plain = HandshakeRefusal(cause: .plaintextAgainstCurve, endpoint: "tcp://c:5555", clientPublicKey: nil)
        #expect(plain.description.contains("requires CURVE") && plain.description.contains("--curve-secret-key"))
    }
}

/// Real libzmq handshakes between a CURVE (or plaintext) ROUTER and a DEALER watched by a `HandshakeWatch`: each
/// refusal is diagnosed with its cause within a bounded time.
@Suite struct HandshakeWatchTests {
    /// Connects a DEALER with `options` to `endpoint` under a watch; waits (bounded) for a refusal.
    func refusal(context: ZMQContext, endpoint: String, options: [ZMQSocketOption], clientPublicKey: String?,
                 within seconds: Double = 10) throws -> HandshakeRefusal? {
        let dealer = try ZMQSocket(context: context, type: .dealer)
        for option in options { try dealer.set(option) }
        try dealer.set(.reconnectInterval(50))
        let watch = try HandshakeWatch(socket: dealer, diagnoser: HandshakeDiagnoser(
            endpoint: endpoint, clientPublicKey: clientPublicKey))
        defer {
            watch.stop()
            dealer.close()
        }
        try dealer.connect(endpoint)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let refusal = watch.refusal { return refusal }
            usleep(10_000)
        }
        return watch.refusal
    }

    func curveRouter(_ context: ZMQContext, server: CurveKeyPair) throws -> (ZMQSocket, String) {
        try boundRouter(context, options: [.curveServer(true), .curveSecretKey(server.secretKey)])
    }

    @Test func unlistedKeyIsDiagnosedAndLoggedOncePerKey() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, allowedPublicKeys: [try CurveKeyPair.generate().publicKey])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter(context, server: server)
        defer { router.close() }
        let options: [ZMQSocketOption] = [.curveServerKey(server.publicKey), .curvePublicKey(stranger.publicKey),
                                          .curveSecretKey(stranger.secretKey)]
        let first = try #require(try refusal(context: context, endpoint: endpoint, options: options,
                                             clientPublicKey: stranger.publicKey))
        #expect(first.cause == .keyNotAuthorized)
        #expect(first.description.contains(stranger.publicKey))
        // Two more attempts by the same key: three denials, one of them reported as the first.
        for _ in 0..<2 {
            _ = try refusal(context: context, endpoint: endpoint, options: options, clientPublicKey: stranger.publicKey)
        }
        let denials = zap.recentDecisions.filter { $0.clientPublicKey == stranger.publicKey && !$0.accepted }
        #expect(denials.count >= 3, "\(denials)")
        #expect(denials.filter(\.isFirstDenial).count == 1, "\(denials)")
        #expect(denials.first?.isFirstDenial == true)
    }

    @Test func plaintextClientAgainstCurveServer() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try curveRouter(context, server: try CurveKeyPair.generate())
        defer { router.close() }
        let found = try refusal(context: context, endpoint: endpoint, options: [], clientPublicKey: nil)
        // Which side notices the mismatch first is a race: reported outright, or inferred from the hang-ups.
        let cause = try #require(found?.cause)
        #expect(cause == .plaintextAgainstCurve || cause == .plaintextHungUp(attempts: 3), "\(cause)")
    }

    @Test func curveClientAgainstPlaintextServer() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try boundRouter(context)
        defer { router.close() }
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let found = try refusal(context: context, endpoint: endpoint, options: [
            .curveServerKey(server.publicKey), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey),
        ], clientPublicKey: client.publicKey)
        #expect(found?.cause == .curveAgainstPlaintext)
    }

    @Test func wrongServerKey() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, allowedPublicKeys: [client.publicKey])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter(context, server: server)
        defer { router.close() }
        let impostor = try CurveKeyPair.generate()
        let found = try refusal(context: context, endpoint: endpoint, options: [
            .curveServerKey(impostor.publicKey), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey),
        ], clientPublicKey: client.publicKey)
        guard case .serverKeyMismatch = found?.cause else {
            Issue.record("expected a server key mismatch, got \(String(describing: found))")
            return
        }
    }

    @Test func rightKeysAreNotRefused() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, allowedPublicKeys: [client.publicKey])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter(context, server: server)
        defer { router.close() }
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.curveServerKey(server.publicKey))
        try dealer.set(.curvePublicKey(client.publicKey))
        try dealer.set(.curveSecretKey(client.secretKey))
        let events = EventLog()
        let watch = try HandshakeWatch(socket: dealer, diagnoser: HandshakeDiagnoser(
            endpoint: endpoint, clientPublicKey: client.publicKey)) { events.append($0) }
        defer {
            watch.stop()
            dealer.close()
        }
        try dealer.connect(endpoint)
        try dealer.send([bytes("hello")])
        #expect(try receive(router, within: 5000)?.last == bytes("hello"))
        // The watch saw the handshake succeed (bounded wait) and decided no refusal.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && !events.all.contains(.handshakeSucceeded) { usleep(10_000) }
        #expect(events.all.contains(.handshakeSucceeded), "\(events.all)")
        #expect(watch.refusal == nil)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ZMQMonitorEvent] = []
    func append(_ event: ZMQMonitorEvent) { lock.withLock { events.append(event) } }
    var all: [ZMQMonitorEvent] { lock.withLock { events } }
}

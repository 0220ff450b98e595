import Foundation
import Testing
import GFMCTransport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct CurveKeyTests {
    /// RFC 32's published test vector.
    @Test func z85MatchesRFC32Vector() throws {
        let raw: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(raw) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == raw)
        #expect(try Z85.encode([]) == "")
        #expect(throws: Z85.Failure.lengthNotMultipleOf4(3)) { try Z85.encode([1, 2, 3]) }
        #expect(throws: Z85.Failure.self) { try Z85.decode("Hell") }
        #expect(throws: Z85.Failure.self) { try Z85.decode("Hello Worl") }
    }

    @Test func z85RoundTripsArbitraryBytes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in stride(from: 0, through: 256, by: 4) {
            let data = (0..<length).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            let text = try Z85.encode(data)
            #expect(text.utf8.count == length / 4 * 5)
            #expect(try Z85.decode(text) == data)
        }
    }

    @Test func keyPairGenerationAndDerivation() throws {
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        #expect(a.publicKey.utf8.count == 40 && a.secretKey.utf8.count == 40)
        #expect(try Z85.decode(a.publicKey).count == 32)
        #expect(a != b)
        #expect(try CurveKeyPair.derivePublicKey(fromSecretKey: a.secretKey) == a.publicKey)
        #expect(try CurveKeyPair(secretKey: b.secretKey) == b)
        #expect(throws: CurveKeyError.self) { try CurveKeyPair(secretKey: "too short") }
    }

    @Test func keyFilesRoundTripWithSecretMode0600() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let publicPath = dir.appendingPathComponent("worker.key").path
        let secretPath = dir.appendingPathComponent("worker.key_secret").path
        let pair = try CurveKeyPair.generate()
        try pair.write(publicKeyPath: publicPath, secretKeyPath: secretPath)

        var info = stat()
        #expect(stat(secretPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try CurveKeyPair.read(secretKeyPath: secretPath) == pair)
        #expect(try CurveKeyPair.readKey(path: publicPath) == pair.publicKey)

        #expect(throws: CurveKeyError.fileExists(path: secretPath)) {
            try CurveKeyPair.generate().write(publicKeyPath: publicPath, secretKeyPath: secretPath)
        }
        // Overwriting a file that had a looser mode still leaves 0600.
        #expect(chmod(secretPath, 0o644) == 0)
        let other = try CurveKeyPair.generate()
        try other.write(publicKeyPath: publicPath, secretKeyPath: secretPath, overwrite: true)
        #expect(stat(secretPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try CurveKeyPair.read(secretKeyPath: secretPath) == other)
    }

    @Test func badKeyFilesNameThePath() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing").path
        #expect { _ = try CurveKeyPair.readKey(path: missing) } throws: { "\($0)".contains(missing) }
        let garbage = dir.appendingPathComponent("garbage").path
        try "not a key\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect(throws: CurveKeyError.malformedKey(source: garbage)) { try CurveKeyPair.readKey(path: garbage) }

        let list = dir.appendingPathComponent("allow").path
        let keys = try (0..<3).map { _ in try CurveKeyPair.generate().publicKey }
        try "# workers\n\(keys[0])\n\n  \(keys[1])  \n\(keys[2])\nbroken\n".write(toFile: list, atomically: true,
                                                                                  encoding: .utf8)
        #expect(throws: CurveKeyError.malformedKey(source: "\(list) line 6")) {
            try CurveKeyPair.readPublicKeyList(path: list)
        }
        try "# workers\n\(keys[0])\n\n  \(keys[1])  \n\(keys[2])\n".write(toFile: list, atomically: true,
                                                                        encoding: .utf8)
        #expect(try CurveKeyPair.readPublicKeyList(path: list) == keys)
    }
}

@Suite struct CurveAuthenticationTests {
    struct Setup {
        let context: ZMQContext
        let router: ZMQSocket
        let endpoint: String
        let server: CurveKeyPair
    }

    func curveServer(_ context: ZMQContext) throws -> Setup {
        let server = try CurveKeyPair.generate()
        let (router, endpoint) = try boundRouter(context, options: [
            .curveServer(true), .curveSecretKey(server.secretKey), .zapDomain("gfmc"),
        ])
        return Setup(context: context, router: router, endpoint: endpoint, server: server)
    }

    func curveClient(_ setup: Setup, keys: CurveKeyPair, id: String) throws -> ZMQSocket {
        try connectedDealer(setup.context, to: setup.endpoint, options: [
            .routingID(bytes(id)), .curveServerKey(setup.server.publicKey),
            .curvePublicKey(keys.publicKey), .curveSecretKey(keys.secretKey),
        ])
    }

    @Test func allowlistAdmitsKnownKeyAndRejectsOthers() throws {
        let context = try ZMQContext()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, allowedPublicKeys: [allowed.publicKey], domain: "gfmc")
        defer { zap.stop() }
        let setup = try curveServer(context)

        let good = try curveClient(setup, keys: allowed, id: "good")
        try good.send([bytes("hello from allowed")])
        let message = try #require(try receive(setup.router, within: 5000))
        #expect(message == [bytes("good"), bytes("hello from allowed")])

        // The server can answer the authenticated client.
        try setup.router.send([bytes("good"), bytes("welcome")])
        #expect(try receive(good, within: 5000) == [bytes("welcome")])

        let bad = try curveClient(setup, keys: stranger, id: "bad")
        try bad.send([bytes("let me in")])
        let plain = try connectedDealer(context, to: setup.endpoint, options: [.routingID(bytes("plain"))])
        try plain.send([bytes("no curve")])
        #expect(try receive(setup.router, within: 500) == nil)

        // The stranger's attempt was seen and denied (bounded wait for the handler's log).
        var denied: ZAPDecision?
        for _ in 0..<100 where denied == nil {
            denied = zap.recentDecisions.first { $0.clientPublicKey == stranger.publicKey && !$0.accepted }
            if denied == nil { usleep(10_000) }
        }
        let denial = try #require(denied)
        #expect(denial.mechanism == "CURVE" && denial.domain == "gfmc")
        #expect(zap.recentDecisions.contains { $0.clientPublicKey == allowed.publicKey && $0.accepted })
        #expect(!zap.recentDecisions.contains { $0.clientPublicKey == stranger.publicKey && $0.accepted })

        // Allowing the stranger's key admits its next connection.
        try zap.setAllowedPublicKeys([allowed.publicKey, stranger.publicKey])
        let late = try curveClient(setup, keys: stranger, id: "late")
        try late.send([bytes("now allowed")])
        var seen: [[UInt8]]?
        for _ in 0..<10 where seen == nil {
            guard let message = try receive(setup.router, within: 1000) else { continue }
            if message.first == bytes("late") { seen = message }
        }
        #expect(seen == [bytes("late"), bytes("now allowed")])
        #expect(throws: CurveKeyError.self) { try zap.setAllowedPublicKeys(["not a key"]) }
    }

    /// The reason a ZAP handler exists: without one, CURVE lets in any client that knows the server key.
    @Test func withoutZAPHandlerAnyCurveClientGetsIn() throws {
        let context = try ZMQContext()
        let setup = try curveServer(context)
        let anyone = try curveClient(setup, keys: try CurveKeyPair.generate(), id: "anyone")
        try anyone.send([bytes("hi")])
        #expect(try receive(setup.router, within: 5000) == [bytes("anyone"), bytes("hi")])
    }

    @Test func wrongServerKeyGetsNothingThrough() throws {
        let context = try ZMQContext()
        let client = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, allowedPublicKeys: [client.publicKey])
        defer { zap.stop() }
        let setup = try curveServer(context)
        let impostorView = Setup(context: context, router: setup.router, endpoint: setup.endpoint,
                                 server: try CurveKeyPair.generate())
        let dealer = try curveClient(impostorView, keys: client, id: "c")
        try dealer.send([bytes("x")])
        #expect(try receive(setup.router, within: 500) == nil)
    }

    @Test func handlerStopsCleanlyAndIsOnePerContext() throws {
        let context = try ZMQContext()
        let first = try ZAPHandler(context: context, allowedPublicKeys: [String]())
        #expect { _ = try ZAPHandler(context: context, allowedPublicKeys: [String]()) } throws: {
            ($0 as? ZMQError)?.code == EADDRINUSE
        }
        first.stop()
        first.stop()
        // The endpoint is free again once the first handler stopped.
        let second = try ZAPHandler(context: context, allowedPublicKeys: [String]())
        second.stop()
        #expect(throws: CurveKeyError.self) {
            _ = try ZAPHandler(context: context, allowedPublicKeys: ["short"])
        }
    }
}

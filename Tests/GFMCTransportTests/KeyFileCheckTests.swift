import Foundation
import Testing
import GFMCTransport
#if canImport(Glibc)
import Glibc
#endif

/// Key files that would silently weaken CURVE are refused with a message naming the file.
@Suite struct KeyFileCheckTests {
    /// NAME.key / NAME.pub in a fresh directory, as `gfmc keygen --out NAME` writes them.
    func keygen(_ name: String) throws -> (directory: URL, secret: String, public: String, pair: CurveKeyPair) {
        let dir = try temporaryDirectory()
        let base = dir.appendingPathComponent(name).path
        let pair = try CurveKeyPair.generate()
        try pair.write(publicKeyPath: base + ".pub", secretKeyPath: base + ".key")
        return (dir, base + ".key", base + ".pub", pair)
    }

    @Test func publicKeyGivenAsSecretKeyIsRefusedNamingTheFile() throws {
        let keys = try keygen("worker-a")
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        #expect(throws: CurveKeyError.publicKeyGivenAsSecret(path: keys.public)) {
            try CurveKeyPair.read(secretKeyPath: keys.public)
        }
        #expect("\(CurveKeyError.publicKeyGivenAsSecret(path: keys.public))".contains(keys.public))
        // The same public key in a file without the label, named .pub, is refused by its name.
        let unlabelled = keys.directory.appendingPathComponent("bare.pub").path
        try "\(keys.pair.publicKey)\n".write(toFile: unlabelled, atomically: true, encoding: .utf8)
        #expect(chmod(unlabelled, 0o600) == 0)
        #expect(throws: CurveKeyError.publicKeyGivenAsSecret(path: unlabelled)) {
            try CurveKeyPair.read(secretKeyPath: unlabelled)
        }
        #expect(try CurveKeyPair.read(secretKeyPath: keys.secret) == keys.pair)
    }

    @Test func secretKeyGivenAsPublicKeyIsRefusedNamingTheFile() throws {
        let keys = try keygen("coordinator")
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        #expect(throws: CurveKeyError.secretKeyGivenAsPublic(path: keys.secret)) {
            try CurveKeyPair.readPublicKey(path: keys.secret)
        }
        #expect(throws: CurveKeyError.secretKeyGivenAsPublic(path: keys.secret)) {
            try CurveKeyPair.readPublicKeyList(path: keys.secret)
        }
        #expect(try CurveKeyPair.readPublicKey(path: keys.public) == keys.pair.publicKey)
    }

    @Test func secretKeyReadableByOthersIsRefusedNamingTheFile() throws {
        let keys = try keygen("worker-b")
        defer { try? FileManager.default.removeItem(at: keys.directory) }
        for mode: mode_t in [0o644, 0o640, 0o604, 0o660] {
            #expect(chmod(keys.secret, mode) == 0)
            #expect(throws: CurveKeyError.secretKeyExposed(path: keys.secret, mode: UInt32(mode))) {
                try CurveKeyPair.read(secretKeyPath: keys.secret)
            }
        }
        let message = "\(CurveKeyError.secretKeyExposed(path: keys.secret, mode: 0o644))"
        #expect(message.contains(keys.secret) && message.contains("644") && message.contains("chmod 600"))
        for mode: mode_t in [0o600, 0o400] {
            #expect(chmod(keys.secret, mode) == 0)
            #expect(try CurveKeyPair.read(secretKeyPath: keys.secret) == keys.pair)
        }
    }

    @Test func modeRuleAllowsGroupReadOnlyOnFilesOwnedByAnotherUser() {
        #expect(!CurveKeyPair.secretKeyModeProblem(mode: 0o600, ownedByCaller: true))
        #expect(!CurveKeyPair.secretKeyModeProblem(mode: 0o400, ownedByCaller: true))
        #expect(CurveKeyPair.secretKeyModeProblem(mode: 0o640, ownedByCaller: true))
        #expect(CurveKeyPair.secretKeyModeProblem(mode: 0o604, ownedByCaller: true))
        // A root-owned Secret mounted 0440 with the process's group (Kubernetes fsGroup).
        #expect(!CurveKeyPair.secretKeyModeProblem(mode: 0o440, ownedByCaller: false))
        #expect(CurveKeyPair.secretKeyModeProblem(mode: 0o444, ownedByCaller: false))
        #expect(CurveKeyPair.secretKeyModeProblem(mode: 0o644, ownedByCaller: false))
    }

    @Test func fileKindFromCommentThenName() {
        #expect(CurveKeyFileKind(comments: ["# gfmc CURVE secret key: keep private"], path: "x.pub") == .secretKey)
        #expect(CurveKeyFileKind(comments: ["# gfmc CURVE public key"], path: "x.key") == .publicKey)
        #expect(CurveKeyFileKind(comments: [], path: "dir/x.key") == .secretKey)
        #expect(CurveKeyFileKind(comments: [], path: "dir/x.pub") == .publicKey)
        #expect(CurveKeyFileKind(comments: ["# hello"], path: "keyfile") == .unknown)
    }
}

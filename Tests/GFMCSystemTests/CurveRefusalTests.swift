import Foundation
import Testing

extension SystemTests {
    @Suite("CURVE by default: plaintext only on loopback; refused workers say why; bad key files are named")
    struct CurveRefusals {
        static let tiny = TestStudy(name: "curve-tiny", widths: [10, 40], trials: 40)

        @Test("Plaintext beyond loopback is refused (exit 64) with how to make keys; nothing is bound or connected")
        func plaintextBeyondLoopbackIsRefused() async throws {
            let harness = try Harness("curve-policy")
            defer { harness.cleanup() }
            let studyPath = try Self.tiny.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let coordinator = try await gfmcExit(harness, "coordinator-star",
                                                 ["coordinator", studyPath, "--bind", "tcp://*:5555", "--out", out])
            #expect(coordinator.code == 64, "\(coordinator.log)")
            for text in ["refusing to bind tcp://*:5555 without CURVE", "gfmc keygen --out", "--insecure"] {
                #expect(coordinator.log.contains(text), "coordinator output lacks \"\(text)\":\n\(coordinator.log)")
            }
            #expect(!FileManager.default.fileExists(atPath: out + "/study.sqlite"), "a refused coordinator created a store")
            // 10.77.0.1 exists only inside a lab namespace: the refusal comes before any connection attempt.
            let worker = try await gfmcExit(harness, "worker-remote", ["worker", "--connect", "tcp://10.77.0.1:5555"])
            #expect(worker.code == 64, "\(worker.log)")
            for text in ["refusing to connect to tcp://10.77.0.1:5555 without CURVE", "gfmc keygen --out", "--insecure"] {
                #expect(worker.log.contains(text), "worker output lacks \"\(text)\":\n\(worker.log)")
            }
        }

        @Test("Plaintext worker, unlisted key, wrong server key: each worker names its cause within seconds; the key is logged once; the coordinator then serves a good worker to the end")
        func refusedWorkersSayWhy() async throws {
            let harness = try Harness("curve-refusals")
            defer { harness.cleanup() }
            let study = Self.tiny
            let studyPath = try study.write(into: harness.directory.path)
            let keys = try harness.directory.subdirectory("keys")
            let authorized = try harness.directory.subdirectory("authorized")
            try await keygen(harness, into: keys, ["coordinator", "impostor", "good", "stranger"])
            try FileManager.default.copyItem(atPath: keys + "/good.pub", toPath: authorized + "/good.pub")
            let strangerKey = try String(contentsOfFile: keys + "/stranger.pub", encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? ""

            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let out = harness.directory.file("run")
            let coordinator = try harness.gfmc.coordinator(
                study: studyPath, bind: endpoint, out: out,
                extra: ["--curve-secret-key", keys + "/coordinator.key", "--authorized-keys", authorized])
            let listening = await waitUntil(timeout: 30, interval: 0.05) {
                coordinator.logTail().contains("listening") || !coordinator.isRunning
            }
            try #require(listening && coordinator.isRunning, "\(coordinator.describe())")

            func curveWorker(_ serverKey: String, _ secretKey: String) -> [String] {
                ["worker", "--connect", endpoint, "--curve-server-key", keys + "/" + serverKey,
                 "--curve-secret-key", keys + "/" + secretKey]
            }
            // Each refused worker exits 6 with its cause; 15 s bounds "within seconds" with room for a loaded machine.
            let cases: [(name: String, arguments: [String], message: String)] = [
                ("plaintext", ["worker", "--connect", endpoint],
                 "it requires CURVE and this worker connects in plaintext"),
                ("unlisted", curveWorker("coordinator.pub", "stranger.key"),
                 "this worker's public key \(strangerKey) is not in its --authorized-keys"),
                ("unlisted-again", curveWorker("coordinator.pub", "stranger.key"),
                 "this worker's public key \(strangerKey) is not in its --authorized-keys"),
                ("wrong-server-key", curveWorker("impostor.pub", "good.key"),
                 "which is what a wrong --curve-server-key does"),
            ]
            for refused in cases {
                let started = ContinuousClock.now
                let r = try await gfmcExit(harness, "worker-\(refused.name)", refused.arguments, timeout: 15)
                #expect(r.code == 6, "\(refused.name): exit \(r.code)\n\(r.log)")
                #expect(r.log.contains("refused the connection") && r.log.contains(refused.message),
                        "\(refused.name) worker does not say \"\(refused.message)\":\n\(r.log)")
                print("curve refusal \(refused.name): exit \(r.code) after \(ContinuousClock.now - started)")
            }
            #expect(((try? StoreProbe.count(in: out)) ?? 0) == 0, "a refused worker computed trials")

            // The coordinator survived every refusal and serves an authorized worker to the end.
            let good = try harness.group.start(name: "worker-good", executable: try GFMCBinary.path(),
                                               arguments: curveWorker("coordinator.pub", "good.key"),
                                               environment: GFMCProcesses.childEnvironment)
            let code = await coordinator.waitForExit(timeout: 90)
            try #require(code == 0, "\(harness.group.describeAll())")
            #expect(await good.waitForExit(timeout: 20) == 0, "\(good.describe())")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.keys() == study.expectedKeys)
            // Two stranger processes, each refused: their key appears in exactly one log line of the coordinator.
            let strangerLines = coordinator.logTail(maxBytes: 1 << 20).split(separator: "\n")
                .filter { $0.contains(strangerKey) }
            #expect(strangerLines.count == 1, "refused key logged \(strangerLines.count) times:\n\(strangerLines.joined(separator: "\n"))")
            #expect(strangerLines.first?.contains("refused worker key") == true)
        }

        @Test("A public key given as secret key, a secret key as server key, and a secret key readable by others are refused naming the file")
        func badKeyFilesAreNamed() async throws {
            let harness = try Harness("curve-keyfiles")
            defer { harness.cleanup() }
            let studyPath = try Self.tiny.write(into: harness.directory.path)
            let keys = try harness.directory.subdirectory("keys")
            try await keygen(harness, into: keys, ["coordinator", "worker-a"])
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let publicAsSecret = try await gfmcExit(harness, "worker-pub-as-secret", [
                "worker", "--connect", endpoint, "--curve-server-key", keys + "/coordinator.pub",
                "--curve-secret-key", keys + "/worker-a.pub"])
            #expect(publicAsSecret.code == 1 && publicAsSecret.log.contains(keys + "/worker-a.pub holds a public key"),
                    "\(publicAsSecret.log)")
            let secretAsServer = try await gfmcExit(harness, "worker-secret-as-server", [
                "worker", "--connect", endpoint, "--curve-server-key", keys + "/coordinator.key",
                "--curve-secret-key", keys + "/worker-a.key"])
            #expect(secretAsServer.code == 1 && secretAsServer.log.contains(keys + "/coordinator.key holds a secret key"),
                    "\(secretAsServer.log)")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys + "/coordinator.key")
            let exposed = try await gfmcExit(harness, "coordinator-exposed-key", [
                "coordinator", studyPath, "--bind", endpoint, "--out", harness.directory.file("run"),
                "--curve-secret-key", keys + "/coordinator.key"])
            #expect(exposed.code == 1 && exposed.log.contains("secret key file \(keys)/coordinator.key is readable by others"),
                    "\(exposed.log)")
        }
    }
}

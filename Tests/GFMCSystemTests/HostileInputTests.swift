import Foundation
import Testing

extension SystemTests {
    @Suite("Hostile input on the coordinator's socket")
    struct HostileInput {
        @Test("Garbage, truncated, oversized, wrong-type and wrong-version messages: the coordinator keeps serving; the study completes unchanged")
        func coordinatorSurvivesHostileClients() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("hostile")
            defer { harness.cleanup() }

            // The attack comes before any real worker, so it cannot race the study's end: whatever the machine's
            // speed, the coordinator must then still be alive and serving.
            let listening = try await harness.startListeningCoordinator(study)
            let (coordinator, port, endpoint, out) = (listening.process, listening.port, listening.endpoint, listening.out)

            // Raw TCP: garbage instead of ZMTP, truncated greetings, frames announcing 2^40 bytes, cut frames.
            let rawClient = try harness.group.start(
                name: "hostile-client", executable: "/usr/bin/env",
                arguments: ["python3", GFMCBinary.repositoryFile("tools/hostile-client.py"),
                            "127.0.0.1", String(port), "--rounds", "3", "--seed", "11"])
            // ZeroMQ DEALER: well-framed but wrong gfmc messages, then liveness probes, then a 17 MiB body.
            let report = try await Task.detached {
                try HostileDealer.attack(endpoint: endpoint, seed: 12)
            }.value
            #expect(report.reannounceAfterJunk, "no `reannounce` for a session-less heartbeat after the junk: \(report)")
            #expect(report.welcomeAfterJunk, "no `welcome` for a valid `ready` after the junk: \(report)")
            let rawStatus = await rawClient.waitForExit(timeout: 60)
            #expect(rawStatus == 0, "\(rawClient.describe())")

            // Alive and serving after the attack: the process runs, `gfmc status` answers from it, and real workers
            // then complete the study.
            try #require(coordinator.isRunning, "the coordinator died under the attack:\n\(coordinator.describe())")
            let afterAttack = try await harness.gfmc.status(runDirectory: out)
            #expect(afterAttack.lookup("state") as? String == "running", "\(afterAttack)")
            #expect(try afterAttack.int("total") == study.totalTrials, "\(afterAttack)")
            _ = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }

            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.duplicateKeys().isEmpty)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            // The junk reached the coordinator and was rejected, not silently lost (where the status carries the
            // coordinator's counters): at least the DEALER's well-framed junk messages.
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == study.totalTrials, "\(status)")
            if let rejected = try? status.int("rejectedMessages") {
                #expect(rejected >= report.junkMessagesSent / 2, "\(status)")
            }
            #expect(try status.int("quarantined") == 0, "the attack quarantined trials: \(status)")
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
        }

        @Test("Ten `ready` messages with 7 MB host and workerVersion: store, RSS and log stay bounded; the coordinator keeps serving")
        func oversizedReadyIsBounded() async throws {
            let study = SharedStudies.twoThousand
            let harness = try Harness("oversized-ready")
            defer { harness.cleanup() }
            let listening = try await harness.startListeningCoordinator(study)
            let (coordinator, port, endpoint, out) = (listening.process, listening.port, listening.endpoint, listening.out)
            let storeBefore = Self.storeBytes(out)
            let logBefore = Self.fileBytes(coordinator.logPath)

            let client = try harness.group.start(
                name: "oversized-ready", executable: "/usr/bin/env",
                arguments: ["python3", GFMCBinary.repositoryFile("tools/hostile-client.py"), "127.0.0.1", String(port),
                            "--oversized-ready", "10", "--field-bytes", "7000000", "--timeout", "10"])
            let clientExit = await client.waitForExit(timeout: 120)
            try #require(clientExit == 0, "\(client.describe())")
            try #require(coordinator.isRunning, "the coordinator died:\n\(coordinator.describe())")
            // The messages reached it and were rejected (counted), after which status is current.
            let afterAttack = await harness.waitForStatus(of: out, timeout: 30) { status in
                ((try? status.int("rejectedMessages")) ?? 0) >= 10
            }
            #expect(afterAttack != nil, "the ten oversized `ready` messages were not counted as rejected")
            let rss = Self.residentKilobytes(pid: coordinator.pid)
            let storeGrowth = Self.storeBytes(out) - storeBefore
            let logGrowth = Self.fileBytes(coordinator.logPath) - logBefore
            print("oversized ready ×10: store grew \(storeGrowth) B, coordinator RSS \(rss.map { "\($0) kB" } ?? "?"), log grew \(logGrowth) B")
            #expect(storeGrowth < 1 << 20, "store grew by \(storeGrowth) bytes")
            #expect(logGrowth < 64 << 10, "log grew by \(logGrowth) bytes")
            let kilobytes = try #require(rss, "no VmRSS for pid \(coordinator.pid)")
            #expect(kilobytes < 200_000, "coordinator RSS \(kilobytes) kB")
            #expect(!coordinator.logTail(maxBytes: 100_000).contains(String(repeating: "h", count: 300)))

            // Still serving: real workers complete the study.
            _ = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }
            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
        }

        static func fileBytes(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }

        /// The store with its WAL and journal.
        static func storeBytes(_ runDirectory: String) -> Int {
            ["study.sqlite", "study.sqlite-wal", "study.sqlite-journal"].reduce(0) { $0 + fileBytes(runDirectory + "/" + $1) }
        }

        static func residentKilobytes(pid: Int32) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }

        /// The fake-worker attack: 20 plaintext peers that each claim 256 credits, take tasks and vanish, five rounds,
        /// before any real worker joins (so every trial may first be leased to a fake one). A peer that never returns a
        /// result must cost no trial an attempt: nothing is quarantined and the numbers do not change.
        @Test("Plaintext fake-worker swarm (20 × 256 credits, 5 rounds) before the real workers: nothing quarantined, same trials.csv")
        func fakeWorkerSwarmQuarantinesNothing() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("fake-swarm")
            defer { harness.cleanup() }
            let listening = try await harness.startListeningCoordinator(study)
            let (coordinator, port, endpoint, out) = (listening.process, listening.port, listening.endpoint, listening.out)

            let swarm = try harness.group.start(
                name: "fake-worker-swarm", executable: "/usr/bin/env",
                arguments: ["python3", GFMCBinary.repositoryFile("tools/fake-worker-swarm.py"), "127.0.0.1", String(port),
                            "--workers", "20", "--rounds", "5", "--credits", "256", "--hold", "0.3"])
            let swarmExit = await swarm.waitForExit(timeout: 60)
            try #require(swarmExit == 0, "\(swarm.describe())")
            // The attack reached the study: plaintext on loopback lets the fakes in (the CURVE case is the
            // hostile-network test's).
            let report = swarm.logTail()
            #expect(!report.contains("\"welcomes\": 0"), "the swarm never got in, so it tested nothing: \(report)")
            print("fake-worker swarm: \(report)")
            try #require(coordinator.isRunning, "the coordinator died under the swarm:\n\(coordinator.describe())")

            _ = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }
            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == study.totalTrials, "\(status)")
            #expect(try status.int("quarantined") == 0, "the swarm quarantined trials: \(status)")
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let difference = try TrialsCSV(runDirectory: out).firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
        }
    }
}

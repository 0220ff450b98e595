import Foundation
import Testing

extension SystemTests {
    @Suite("One hostile network, one study (lab namespaces, CURVE)")
    struct HostileNetwork {
        /// Host 1: the coordinator (CURVE, bound to every interface of its host). Hosts 2–4: authorized workers; host 2
        /// loses 20 % of its packets each way throughout, host 3 is cut off mid-study and healed later, host 4 is
        /// healthy. Host 5: a rogue worker with an unlisted key. On host 1's loopback: a swarm of plaintext fake workers
        /// that each claim 256 credits, take what they get and vanish, five times over. Every fault fires on observed
        /// progress (trials in the store).
        @Test("Lossy host, cut-and-healed host, rogue key and a plaintext fake-worker swarm: trials.csv identical to a 1-worker run, nothing quarantined")
        func studySurvivesHostileNetwork() async throws {
            let (available, reason) = NetworkLab.availability()
            try #require(available, "the multi-host lab cannot run here: \(reason)")
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("hostile-network")
            defer { harness.cleanup() }
            let lab = try NetworkLab.up(prefix: "gfmchn\(getpid() % 100_000)", hosts: 5)
            // Runs before harness.cleanup(): the namespaces' processes are killed (by PID), then they are deleted.
            defer { lab.down() }

            let keys = try harness.directory.subdirectory("keys")
            let authorized = try harness.directory.subdirectory("authorized")
            try await keygen(harness, into: keys, ["coordinator", "host2", "host3", "host4", "rogue"])
            for name in ["host2", "host3", "host4"] {
                try FileManager.default.copyItem(atPath: "\(keys)/\(name).pub", toPath: "\(authorized)/\(name).pub")
            }
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            let port = 5555
            let endpoint = "tcp://\(lab.address(1)):\(port)"
            func curve(_ name: String) -> [String] {
                ["--curve-server-key", "\(keys)/coordinator.pub", "--curve-secret-key", "\(keys)/\(name).key"]
            }

            try lab.loss(2, percent: 20)
            let coordinator = try harness.gfmc.coordinator(
                study: studyPath, bind: "tcp://*:\(port)", out: out,
                extra: ["--curve-secret-key", "\(keys)/coordinator.key", "--authorized-keys", authorized],
                namespace: lab.namespace(1))
            let lossy = try harness.gfmc.worker(connect: endpoint, extra: curve("host2"), namespace: lab.namespace(2))
            let cut = try harness.gfmc.worker(connect: endpoint, extra: curve("host3"), namespace: lab.namespace(3))
            let healthy = try harness.gfmc.worker(connect: endpoint, extra: curve("host4"), namespace: lab.namespace(4))

            // The rogue is refused at the handshake and says why.
            let rogue = try harness.gfmc.worker(connect: endpoint, extra: curve("rogue"), namespace: lab.namespace(5))
            let rogueExit = await rogue.waitForExit(timeout: 30)
            #expect(rogueExit == 6 && rogue.logTail().contains("is not in its --authorized-keys"), "\(rogue.describe())")

            let early = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 5, timeout: 120)
            try #require(early != nil, "the study never got going:\n\(harness.group.describeAll())")
            try lab.cut(3)
            let atCut = try StoreProbe.count(in: out)
            try #require(atCut < study.totalTrials, "the cut must land mid-study (\(atCut) stored)")

            let later = await harness.waitForStoredTrials(in: out, atLeast: 2 * study.totalTrials / 5, timeout: 120)
            try #require(later != nil, "the study stalled after the cut:\n\(harness.group.describeAll())")
            let atSwarm = try StoreProbe.count(in: out)
            let swarm = try harness.group.start(
                name: "fake-worker-swarm", executable: GFMCProcesses.ipCommand,
                arguments: ["netns", "exec", lab.namespace(1), "python3",
                            GFMCBinary.repositoryFile("tools/fake-worker-swarm.py"), "127.0.0.1", String(port),
                            "--workers", "20", "--rounds", "5", "--credits", "256", "--hold", "0.3"])
            let swarmExit = await swarm.waitForExit(timeout: 60)
            #expect(swarmExit == 0, "\(swarm.describe())")
            let swarmReport = swarm.logTail()
            #expect(swarmReport.contains("\"connections\": 100") && swarmReport.contains("\"tasks\": 0")
                    && swarmReport.contains("\"welcomes\": 0"), "the plaintext swarm got in: \(swarmReport)")
            print("hostile network: swarm at \(atSwarm) stored trials: \(swarmReport)")

            let healAt = await harness.waitForStoredTrials(in: out, atLeast: 3 * study.totalTrials / 5, timeout: 120)
            try #require(healAt != nil, "the study stalled:\n\(harness.group.describeAll())")
            try lab.heal(3)

            let code = await coordinator.waitForExit(timeout: 240)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.duplicateKeys().isEmpty)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
            let status = try await harness.gfmc.status(runDirectory: out)
            #expect(try status.int("done") == study.totalTrials, "\(status)")
            #expect(try status.int("quarantined") == 0, "\(status)")
            // The coordinator logged the rogue's key once.
            let rogueKey = try String(contentsOfFile: "\(keys)/rogue.pub", encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? "?"
            let rogueLines = coordinator.logTail(maxBytes: 1 << 20).split(separator: "\n").filter { $0.contains(rogueKey) }
            #expect(rogueLines.count == 1, "\(rogueLines)")
            // The healthy and the lossy host hear the shutdown (or, if a lost packet took it, leave cleanly on SIGTERM);
            // the healed host's TCP may still be backing off, so it only has to stop cleanly on SIGTERM.
            for (worker, patience) in [(healthy, 20.0), (lossy, 20.0), (cut, 0.1)] {
                if await worker.waitForExit(timeout: patience) == nil { worker.kill(SIGTERM) }
                #expect(await worker.waitForExit(timeout: 40) == 0, "\(worker.describe())")
            }
        }
    }
}

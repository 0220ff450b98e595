import Foundation
import Testing

extension SystemTests {
    @Suite("Hostile input on the coordinator's socket")
    struct HostileInput {
        @Test("Garbage, truncated, oversized, wrong-type and wrong-version messages: the study completes unchanged")
        func coordinatorSurvivesHostileClients() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("hostile")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let port = try freeLoopbackPort()
            let endpoint = "tcp://127.0.0.1:\(port)"
            let out = harness.directory.file("run")
            let coordinator = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            _ = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }

            let started = await harness.waitForStoredTrials(in: out, atLeast: 1, timeout: 60)
            try #require(started != nil, "the study never started:\n\(harness.group.describeAll())")

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

            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.duplicateKeys().isEmpty)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
        }
    }
}

import Foundation
import GFMCApplication
import Testing

extension SystemTests {
    /// What the Slurm script relies on: a port chosen at run time reaches workers through
    /// `RUNDIR/coordinator.endpoint`, and a coordinator started while the previous one still holds the run
    /// directory waits for it (`--lock-wait`) instead of exiting 75.
    @Suite("Deploy: coordinator.endpoint and --lock-wait")
    struct DeployLockAndEndpoint {
        /// Reads `coordinator.endpoint` once it exists and names a port other than `excluding`.
        static func publishedEndpoint(in out: String, excluding: String? = nil, timeout: Double) async -> String? {
            var found: String?
            _ = await waitUntil(timeout: timeout, interval: 0.05) {
                guard let text = try? String(contentsOfFile: out + "/coordinator.endpoint", encoding: .utf8) else { return false }
                let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard line.hasPrefix("tcp://127.0.0.1:"), line != excluding, let port = Int(line.split(separator: ":").last ?? ""),
                      port > 0 else { return false }
                found = line
                return true
            }
            return found
        }

        @Test("bind :0 publishes the real port; a waiting coordinator takes over after a clean stop; same trials.csv")
        func endpointFileAndLockWait() async throws {
            let study = TestStudy(name: "deploy-lock", widths: [10, 100], trials: 150)
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("deploy-lock")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")

            // The first coordinator has no worker: it holds the run directory until stopped.
            let first = try harness.gfmc.coordinator(study: studyPath, bind: "tcp://127.0.0.1:0", out: out)
            let firstEndpoint = await Self.publishedEndpoint(in: out, timeout: 30)
            try #require(firstEndpoint != nil, "no coordinator.endpoint:\n\(first.describe())")

            // Without --lock-wait a second coordinator is refused at once (75).
            let refused = try harness.gfmc.coordinator(study: studyPath, bind: "tcp://127.0.0.1:0", out: out)
            #expect(await refused.waitForExit(timeout: 20) == RunExitCode.locked, "\(refused.describe())")

            // With --lock-wait it says it waits, and does: it neither exits nor publishes an endpoint.
            let waiting = try harness.gfmc.coordinator(study: studyPath, bind: "tcp://127.0.0.1:0", out: out,
                                                       extra: ["--lock-wait", "60"])
            let announced = await waitUntil(timeout: 20) { waiting.logTail().contains("waiting up to 60 s") }
            try #require(announced, "the waiting coordinator did not say it waits:\n\(waiting.describe())")
            #expect(waiting.isRunning, "the waiting coordinator gave up while the lock was held: \(waiting.describe())")
            let stillFirst = try String(contentsOfFile: out + "/coordinator.endpoint", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(stillFirst == firstEndpoint, "the waiting coordinator published before it held the lock")

            first.kill(SIGTERM)
            #expect(await first.waitForExit(timeout: 20) == RunExitCode.stopped, "\(first.describe())")

            // The waiting one takes the lock, binds its own port and publishes it; a worker finds it there.
            let secondEndpoint = await Self.publishedEndpoint(in: out, excluding: firstEndpoint, timeout: 30)
            try #require(secondEndpoint != nil, "the waiting coordinator did not take over:\n\(waiting.describe())")
            _ = try harness.gfmc.worker(connect: secondEndpoint!)
            let code = await waiting.waitForExit(timeout: 120)
            try #require(code == 0, "\(harness.group.describeAll())")
            #expect(!FileManager.default.fileExists(atPath: out + "/coordinator.endpoint"),
                    "coordinator.endpoint left behind after exit")
            let difference = try TrialsCSV(runDirectory: out).firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
        }
    }
}

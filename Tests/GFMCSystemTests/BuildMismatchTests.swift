import Foundation
import GFMCStore
import Testing

extension SystemTests {
    /// Same numbers or no entry: a worker whose numerics fingerprint differs from the coordinator's is refused
    /// with a message on both sides and exits 7; the study completes with the matching worker, and every stored
    /// trial records the coordinator's build. The other fingerprint comes from the documented test-only variable
    /// GFMC_TEST_NUMERICS_FINGERPRINT, which replaces the worker's computed value; the refusal is the real one.
    @Suite("Build mismatch: workers with other numerics are refused")
    struct BuildMismatch {
        @Test("A worker with another numerics fingerprint is refused (exit 7, reason on both sides); trials record the build")
        func otherNumericsRefused() async throws {
            let study = TestStudy(name: "systest-build", widths: [10, 40], trials: 50)
            let harness = try Harness("build-mismatch")
            defer { harness.cleanup() }
            let listening = try await harness.startListeningCoordinator(study)
            let (coordinator, endpoint, out) = (listening.process, listening.endpoint, listening.out)

            let bogus = "nf1-00000000deadbeef"
            let other = try harness.group.start(
                name: "worker-other-numerics", executable: harness.gfmc.binary,
                arguments: ["worker", "--connect", endpoint, "--slots", "1"],
                environment: ["OPENBLAS_NUM_THREADS": "1", "GFMC_TEST_NUMERICS_FINGERPRINT": bogus])
            let otherExit = await other.waitForExit(timeout: 60)
            #expect(otherExit == 7, "\(other.describe())")
            let workerLog = other.logTail(maxBytes: 8000)
            #expect(workerLog.contains("refused") && workerLog.contains("numerics fingerprint \(bogus) differs"), "\(workerLog)")
            let coordinatorLog = coordinator.logTail(maxBytes: 50_000)
            #expect(coordinatorLog.contains("refused worker") && coordinatorLog.contains(bogus), "\(coordinatorLog)")
            try #require(coordinator.isRunning)
            // The coordinator's own fingerprint, as its refusal named it.
            let own = try #require(workerLog.range(of: #"coordinator's nf1-[0-9a-f]{16}"#, options: .regularExpression)
                .map { String(workerLog[$0].dropFirst("coordinator's ".count)) })

            _ = try harness.gfmc.worker(connect: endpoint)
            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            let store = try StudyStore(path: out + "/study.sqlite", readOnly: true)
            defer { store.close() }
            let builds = try store.trialCountsByBuild()
            #expect(builds.count == 1, "\(builds)")
            #expect(builds.keys.first?.fingerprint == own && builds.values.first == study.totalTrials, "\(builds)")
            #expect(builds.keys.first?.version.hasPrefix("gfmc ") == true)
        }
    }
}

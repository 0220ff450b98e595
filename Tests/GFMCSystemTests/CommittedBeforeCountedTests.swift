import Foundation
import Testing

extension SystemTests {
    @Suite("Group commit: what the coordinator reports as done is in the store")
    struct CommittedBeforeCounted {
        /// The `done` count of the coordinator's `status.json` (written by the coordinator itself), or nil.
        static func reportedDone(in runDirectory: String) -> Int? {
            guard let data = FileManager.default.contents(atPath: runDirectory + "/status.json"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            let status = (object["status"] as? [String: Any]) ?? object
            return status["done"] as? Int
        }

        @Test("SIGKILL right after the coordinator reports progress loses no trial it counted")
        func killAfterReportLosesNothingCounted() async throws {
            let study = SharedStudies.twoThousand
            let harness = try Harness("committed-before-counted")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let out = harness.directory.file("run")
            let coordinator = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
            _ = try (0..<2).map { _ in try harness.gfmc.worker(connect: endpoint) }

            // Kill as soon as a status report counts some trials but not all.
            var counted: Int?
            _ = await waitUntil(timeout: 90, interval: 0.005) {
                guard let done = Self.reportedDone(in: out), done > 0 else { return false }
                counted = done
                return true
            }
            coordinator.kill(SIGKILL)
            _ = await coordinator.waitForExit(timeout: 10)
            let reported = try #require(counted, "no progress reported:\n\(harness.group.describeAll())")
            let stored = try StoreProbe.count(in: out)
            #expect(stored >= reported, "status reported \(reported) done, the store holds \(stored)")
        }
    }
}

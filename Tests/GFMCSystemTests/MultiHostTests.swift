import Foundation
import Testing

extension SystemTests {
    @Suite("Several hosts (network namespaces, tools/testbed/lab.sh)")
    struct MultiHost {
        @Test("Coordinator on host 1, workers on hosts 2 and 3; host 2 is cut off mid-study; host 3 finishes it")
        func cutHostIsReplaced() async throws {
            // Not skipped where namespaces are missing: a suite that cannot test several hosts fails.
            let (available, reason) = NetworkLab.availability()
            try #require(available, "the multi-host lab cannot run here: \(reason)")
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("multihost")
            defer { harness.cleanup() }
            let lab = try NetworkLab.up(prefix: "gfmcst\(getpid() % 100_000)", hosts: 3)
            // Runs before harness.cleanup(): the namespaces' processes are killed (by PID), then they are deleted.
            defer { lab.down() }

            let studyPath = try study.write(into: harness.directory.path)
            let out = harness.directory.file("run")
            // 10.77.0.x exist only inside the lab: every process that uses them runs in a lab namespace.
            let endpoint = "tcp://\(lab.address(1)):5555"
            // Plaintext on purpose (--insecure): the lab's bridge is private to this test, and this test is about a
            // cut link; CURVE across hosts is exercised by the hostile-network test. --insecure must warn each time.
            let coordinator = try harness.gfmc.coordinator(study: studyPath, bind: endpoint, out: out,
                                                           extra: ["--insecure"], namespace: lab.namespace(1))
            let hostTwo = try harness.gfmc.worker(connect: endpoint, extra: ["--insecure"], namespace: lab.namespace(2))
            let hostThree = try harness.gfmc.worker(connect: endpoint, extra: ["--insecure"], namespace: lab.namespace(3))

            // The store lives in the shared file system, so the status is read from the root namespace.
            let midway = await harness.waitForStoredTrials(in: out, atLeast: study.totalTrials / 5, timeout: 90)
            try #require(midway != nil, "the study never got going:\n\(harness.group.describeAll())")
            try lab.cut(2)
            let atCut = try StoreProbe.count(in: out)
            try #require(atCut < study.totalTrials, "the cut must land mid-study (\(atCut) stored); make the study longer")

            let code = await coordinator.waitForExit(timeout: 150)
            try #require(code == 0, "coordinator: \(String(describing: code))\n\(harness.group.describeAll())")
            #expect(hostTwo.isRunning, "host 2's worker should still be waiting behind its cut link")
            try lab.heal(2)

            let csv = try TrialsCSV(runDirectory: out)
            #expect(try csv.keys().count == study.totalTrials)
            #expect(try csv.duplicateKeys().isEmpty)
            #expect(try StoreProbe.recordedKeys(in: out) == study.expectedKeys)
            let difference = csv.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
            // Host 3 was connected throughout and gets the coordinator's shutdown.
            let threeStatus = await hostThree.waitForExit(timeout: 15)
            #expect(threeStatus == 0, "\(hostThree.describe())")
            for process in [coordinator, hostTwo, hostThree] {
                #expect(process.logTail(maxBytes: 1 << 20).contains("warning: --insecure"),
                        "no --insecure warning at start:\n\(process.describe())")
            }
        }
    }
}

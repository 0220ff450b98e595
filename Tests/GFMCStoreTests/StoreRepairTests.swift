import Foundation
import Testing
import GFMCModel
import GFMCStore

@Suite struct StoreRepairTests {
    /// A closed (checkpointed) store of `count` trials at width 9, with a recorded build.
    func makeStore(count: Int) throws -> (dir: URL, path: String, results: [TrialResult]) {
        let (dir, path) = try temporaryStorePath()
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: #"{"s":1}"#, version: "v1")
        let results = (0..<count).map { sampleResult(width: 9, index: $0, converged: $0 % 4 != 0) }
        for chunk in stride(from: 0, to: count, by: 100) {
            try store.record(Array(results[chunk..<min(count, chunk + 100)]), worker: "w\(chunk % 3)", attempt: 1,
                             build: BuildIdentity(version: "v1", fingerprint: "fp"))
        }
        try store.quarantine([QuarantinedTrial(trial: TrialID(width: 9, index: 99_999), reason: "crash", hosts: ["a", "b"],
                                               attempts: 4, at: Date(timeIntervalSince1970: 5))])
        store.close()
        return (dir, path, results)
    }

    @Test func damagedRowsAreFoundByTheCheckAndSetAsideByRepair() throws {
        let (dir, path, results) = try makeStore(count: 300)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try StudyStore.open(path: path).checkIntegrity().isSound)
        try rawSQL(path, """
            UPDATE trials SET final_loss = 'garbage' WHERE trial = 3;
            UPDATE trials SET engine = 999 WHERE trial = 5;
            UPDATE trials SET exact_bits = x'0102' WHERE trial = 7;
            """)
        let store = try StudyStore.open(path: path)
        let report = try store.checkIntegrity()
        #expect(report.pageProblems.isEmpty && report.rowsRead == 300)
        #expect(report.damagedTrials.map(\.trial) == ["h=9#3", "h=9#5", "h=9#7"])
        #expect {
            try store.requireSound()
        } throws: { error in
            guard case .damaged(let p, let problems)? = error as? StoreError else { return false }
            return p == path && problems.count == 3 && "\(error)".contains("gfmc repair")
        }
        store.close()

        let summary = try StoreRepair.repair(path: path)
        #expect(!summary.wasSound && summary.kept == 297 && summary.setAside.count == 3)
        let damagedCopy = try #require(summary.damagedCopyPath)
        #expect(FileManager.default.fileExists(atPath: damagedCopy))
        let repaired = try StudyStore.open(path: path)
        #expect(try repaired.checkIntegrity().isSound)
        let damaged: Set<Int> = [3, 5, 7]
        #expect(try repaired.allResults().map(exactFields) == results.filter { !damaged.contains($0.id.index) }.map(exactFields))
        #expect(try repaired.setAsideTrials().compactMap(\.trial?.index) == [3, 5, 7])
        #expect(try repaired.storedStudy()?.studyHash == "h")
        #expect(try repaired.quarantinedTrials().map(\.hosts) == [["a", "b"]])
        #expect(try repaired.trialCountsByBuild() == [BuildIdentity(version: "v1", fingerprint: "fp"): 297])
        #expect(try repaired.recentEvents(limit: 1).first?.kind == "repair")
        // A second repair finds nothing to do.
        repaired.close()
        #expect(try StoreRepair.repair(path: path).wasSound)
    }

    @Test func corruptedPagesAreFoundAndEverySoundTrialIsKept() throws {
        let (dir, path, results) = try makeStore(count: 3000)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Overwrite three pages in the middle of the file (table pages hold almost all of it).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        let pageSize: UInt64 = 4096
        let firstPage = size / pageSize / 2
        try handle.seek(toOffset: firstPage * pageSize)
        try handle.write(contentsOf: Data((0..<(3 * Int(pageSize))).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
        try handle.close()

        let store = try StudyStore.open(path: path)
        let report = try store.checkIntegrity()
        #expect(!report.isSound)
        #expect(!report.pageProblems.isEmpty, "\(report.problems)")
        #expect(throws: StoreError.self) { try store.requireSound() }
        store.close()

        let summary = try StoreRepair.repair(path: path)
        #expect(!summary.wasSound)
        let repaired = try StudyStore.open(path: path)
        #expect(try repaired.checkIntegrity().isSound)
        let kept = try repaired.allResults()
        #expect(kept.count == summary.kept)
        #expect(kept.count > 2000 && kept.count < 3000, "kept \(kept.count)")
        // Every kept trial is bit-identical to what was recorded.
        let originals = Dictionary(uniqueKeysWithValues: results.map { ($0.id, exactFields($0)) })
        for r in kept { #expect(originals[r.id] == exactFields(r)) }
        // The rest is missing (to be recomputed), not invented.
        #expect(try repaired.recordedTrialIDs().isSubset(of: Set(results.map(\.id))))
    }
}

import Foundation
import GFMCModel
import GFMCStore
import Testing

/// `adoptStudy` (grow, shrink, refuse, migrate) and `importTrials` (merge), against hand-made stores.
@Suite struct StoreGrowMergeTests {
    static func noDefinition(_: String) -> String? { nil }

    @Test("a fresh store records the study and its trial definition")
    func adoptCreates() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        defer { store.close() }
        let outcome = try store.adoptStudy(studyHash: "s1", trialDefinitionHash: "d1", resolvedStudyJSON: "{1}",
                                           version: "v", definitionOfStoredJSON: Self.noDefinition)
        #expect(outcome == .created)
        let stored = try #require(try store.storedStudy())
        #expect(stored.studyHash == "s1" && stored.trialDefinitionHash == "d1" && stored.resolvedStudyJSON == "{1}")
        #expect(try store.adoptStudy(studyHash: "s1", trialDefinitionHash: "d1", resolvedStudyJSON: "{1}",
                                     version: "v", definitionOfStoredJSON: Self.noDefinition) == .unchanged)
    }

    @Test("same definition, other size: the study is replaced and every stored trial kept")
    func adoptResizes() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        defer { store.close() }
        try store.adoptStudy(studyHash: "s1", trialDefinitionHash: "d1", resolvedStudyJSON: "{1}", version: "v",
                             definitionOfStoredJSON: Self.noDefinition)
        try store.record((0..<5).map { sampleResult(width: 4, index: $0) }, worker: "w", attempt: 1)
        let outcome = try store.adoptStudy(studyHash: "s2", trialDefinitionHash: "d1", resolvedStudyJSON: "{2}",
                                           version: "v", definitionOfStoredJSON: Self.noDefinition)
        #expect(outcome == .resized(previousJSON: "{1}"))
        #expect(try store.storedStudy()?.studyHash == "s2")
        #expect(try store.storedStudy()?.resolvedStudyJSON == "{2}")
        #expect(try store.count() == 5)
        // The runtime's strict check now accepts the adopted study.
        try store.initialize(studyHash: "s2", resolvedStudyJSON: "{2}", version: "v")
        #expect(try store.recentEvents(limit: 5).contains { $0.kind == "resize" })
    }

    @Test("another definition is refused and changes nothing")
    func adoptRefuses() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        defer { store.close() }
        try store.adoptStudy(studyHash: "s1", trialDefinitionHash: "d1", resolvedStudyJSON: "{1}", version: "v",
                             definitionOfStoredJSON: Self.noDefinition)
        #expect {
            try store.adoptStudy(studyHash: "s3", trialDefinitionHash: "d2", resolvedStudyJSON: "{3}", version: "v",
                                 definitionOfStoredJSON: Self.noDefinition)
        } throws: { error in
            guard let mismatch = error as? TrialDefinitionMismatch else { return false }
            return mismatch.storedDefinitionHash == "d1" && mismatch.requestedDefinitionHash == "d2"
                && mismatch.storedJSON == "{1}"
        }
        #expect(try store.storedStudy()?.studyHash == "s1")
    }

    @Test("a store without a recorded definition is migrated from its stored JSON")
    func adoptMigratesOldStore() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        defer { store.close() }
        try store.initialize(studyHash: "s1", resolvedStudyJSON: "{old}", version: "v")   // as an older gfmc did
        #expect(try store.storedStudy()?.trialDefinitionHash == nil)
        let outcome = try store.adoptStudy(studyHash: "s2", trialDefinitionHash: "d-old", resolvedStudyJSON: "{new}",
                                           version: "v", definitionOfStoredJSON: { $0 == "{old}" ? "d-old" : nil })
        #expect(outcome == .resized(previousJSON: "{old}"))
        #expect(try store.storedStudy()?.trialDefinitionHash == "d-old")
        // A stored study whose definition cannot be computed counts as another definition.
        let (dir2, path2) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir2) }
        let other = try StudyStore.open(path: path2)
        defer { other.close() }
        try other.initialize(studyHash: "s1", resolvedStudyJSON: "{unparseable}", version: "v")
        #expect(throws: TrialDefinitionMismatch.self) {
            try other.adoptStudy(studyHash: "s2", trialDefinitionHash: "d", resolvedStudyJSON: "{}", version: "v",
                                 definitionOfStoredJSON: Self.noDefinition)
        }
    }

    /// A store holding `indices` at width 4 (and `extra` changes applied to each result).
    static func store(_ indices: Range<Int>, wallSeconds: Double = 1, worker: String = "w",
                      change: (inout TrialResult) -> Void = { _ in }) throws -> (URL, StudyStore) {
        let (dir, path) = try temporaryStorePath()
        let store = try StudyStore.open(path: path)
        try store.adoptStudy(studyHash: "s", trialDefinitionHash: "d", resolvedStudyJSON: "{}", version: "v",
                             definitionOfStoredJSON: noDefinition)
        try store.record(indices.map {
            var r = sampleResult(width: 4, index: $0)
            r.wallSeconds = wallSeconds
            change(&r)
            return r
        }, worker: worker, attempt: 2, build: BuildIdentity(version: "gfmc 1", fingerprint: "f"))
        return (dir, store)
    }

    @Test("import copies every trial with its provenance; identical duplicates (wallSeconds aside) are skipped")
    func importCopiesAndSkipsDuplicates() throws {
        let (d1, a) = try Self.store(0..<6, wallSeconds: 1, worker: "alpha")
        let (d2, b) = try Self.store(4..<10, wallSeconds: 9, worker: "beta")
        let (d3, merged) = try Self.store(0..<0)
        defer { [a, b, merged].forEach { $0.close() }; [d1, d2, d3].forEach { try? FileManager.default.removeItem(at: $0) } }
        #expect(try merged.importTrials(from: a) == StoreImportCount(imported: 6, identicalDuplicates: 0))
        #expect(try merged.importTrials(from: b) == StoreImportCount(imported: 4, identicalDuplicates: 2))
        #expect(try merged.count() == 10)
        // Each trial as first imported (wallSeconds of the first store for the shared ones), bit for bit.
        let expected = (0..<10).map { i -> TrialResult in
            var r = sampleResult(width: 4, index: i)
            r.wallSeconds = i < 6 ? 1 : 9
            return r
        }
        #expect(try merged.allResults() == expected)
        #expect(try merged.trialCountsByBuild() == [BuildIdentity(version: "gfmc 1", fingerprint: "f"): 10])
    }

    @Test("a duplicate that differs in anything but wallSeconds fails the import, naming the trial; nothing is kept")
    func importRefusesTamperedDuplicate() throws {
        let (d1, a) = try Self.store(0..<6)
        let (d2, b) = try Self.store(3..<9) { r in
            if r.id.index == 5 { r.finalLoss = r.finalLoss.nextUp }   // one ulp
        }
        let (d3, merged) = try Self.store(0..<0)
        defer { [a, b, merged].forEach { $0.close() }; [d1, d2, d3].forEach { try? FileManager.default.removeItem(at: $0) } }
        try merged.importTrials(from: a)
        #expect {
            try merged.importTrials(from: b)
        } throws: { error in
            guard let conflict = error as? StoreImportConflict else { return false }
            return conflict.trial == TrialID(width: 4, index: 5) && conflict.fields == ["finalLoss"]
        }
        #expect(try merged.count() == 6, "the failed import left nothing behind")
    }

    @Test("differingFields: identical apart from wallSeconds is empty; -0.0 against 0.0 is a difference")
    func differingFields() throws {
        var a = sampleResult(width: 4, index: 1), b = a
        b.wallSeconds = 123
        #expect(try StudyStore.differingFields(a, b).isEmpty)
        a.margin = 0.0
        b.margin = -0.0
        #expect(try !StudyStore.differingFields(a, b).isEmpty)
        b.margin = 0.0
        b.converged.toggle()
        #expect(try StudyStore.differingFields(a, b) == ["converged"])
    }

    @Test("the shard a directory serves is recorded and cleared")
    func shardRecord() throws {
        let (dir, store) = try Self.store(0..<0)
        defer { store.close(); try? FileManager.default.removeItem(at: dir) }
        #expect(try store.storedShard() == nil)
        try store.recordShard(TrialShard(index: 2, count: 5))
        #expect(try store.storedShard() == TrialShard(index: 2, count: 5))
        try store.recordShard(nil)
        #expect(try store.storedShard() == nil)
    }

    @Test("a trial scope filters counts and reads by width and index")
    func scopeFilters() throws {
        let (dir, store) = try Self.store(0..<8)
        defer { store.close(); try? FileManager.default.removeItem(at: dir) }
        try store.record((0..<3).map { sampleResult(width: 9, index: $0) }, worker: "w", attempt: 1)
        #expect(try store.count() == 11)
        #expect(try store.count(scope: TrialScope(widths: [4], trialsPerWidth: nil)) == 8)
        #expect(try store.count(scope: TrialScope(widths: nil, trialsPerWidth: 2)) == 4)
        #expect(try store.count(scope: TrialScope(widths: [4, 9], trialsPerWidth: 5)) == 8)
        var read: [TrialID] = []
        try store.forEachResult(scope: TrialScope(widths: [9], trialsPerWidth: 2)) { read.append($0.id) }
        #expect(read == [TrialID(width: 9, index: 0), TrialID(width: 9, index: 1)])
        #expect(try store.countConvergedWithPositiveRates(scope: TrialScope(widths: [9], trialsPerWidth: nil))
                == 3)
    }
}

import Foundation
import Testing
import GFMCModel
import GFMCStore

@Suite struct GroupCommitTests {
    @Test func resultsAreStoredOnlyAtTheCommitAndDeferredActionsFollowIt() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let reader = try StudyStore.open(path: path, readOnly: true)
        let group = GroupCommit<String>(store: store, maxResults: 10, maxDelaySeconds: 0.5)

        #expect(!group.hasPending && group.secondsUntilDue(now: 0) == nil && !group.isDue(now: 100))
        group.add(.init(results: (0..<3).map { sampleResult(width: 1, index: $0) }, worker: "a"), now: 10)
        group.defer("count 3")
        group.add(.init(results: (3..<5).map { sampleResult(width: 1, index: $0) }, worker: "b"), now: 10.2)
        group.defer("count 2")
        #expect(group.hasPending)
        #expect(try reader.count() == 0)  // nothing durable yet
        #expect(!group.isDue(now: 10.49))
        #expect(group.isDue(now: 10.5))  // the oldest result has waited maxDelaySeconds
        #expect(abs((group.secondsUntilDue(now: 10.1) ?? -1) - 0.4) < 1e-9)

        #expect(try group.commit() == ["count 3", "count 2"])
        #expect(try reader.count() == 5)
        #expect(!group.hasPending && group.commits == 1 && group.committedResults == 5)
        #expect(try reader.allResults().map(\.id.index) == Array(0..<5))
        #expect(try group.commit().isEmpty && group.commits == 1)  // nothing pending: no transaction

        // The size trigger.
        group.add(.init(results: (5..<15).map { sampleResult(width: 1, index: $0) }, worker: "a"), now: 20)
        #expect(group.isDue(now: 20))
        _ = try group.commit()
        #expect(try reader.count() == 15)
    }

    @Test func aFailedCommitDropsTheDeferredActions() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)  // never initialized: every record fails
        let group = GroupCommit<Int>(store: store)
        group.add(.init(results: [sampleResult(width: 1, index: 0)], worker: "a"), now: 0)
        group.defer(1)
        #expect(throws: StoreError.notInitialized(path: path)) { _ = try group.commit() }
        #expect(!group.hasPending)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        #expect(try group.commit().isEmpty)
        #expect(try store.count() == 0)
    }
}

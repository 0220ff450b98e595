import Foundation
import GFMCConcurrency
import GFMCModel
import GFMCStore
import Testing

@Suite struct StudyStoreTests {
    @Test func freshStoreRecordsStudyIdentity() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        #expect(try store.storedStudy() == nil)
        try store.initialize(studyHash: "abc123", resolvedStudyJSON: #"{"seed":1}"#, version: "0.1.0")
        let study = try #require(try store.storedStudy())
        #expect(study.studyHash == "abc123")
        #expect(study.resolvedStudyJSON == #"{"seed":1}"#)
        #expect(study.createdByVersion == "0.1.0" && study.lastVersion == "0.1.0")
        #expect(study.schemaVersion == StudyStore.schemaVersion)
        #expect(try store.count() == 0)
        #expect(try store.allResults().isEmpty)
        // WAL mode: the write-ahead log sits next to the database while a writer is open.
        try store.record([sampleResult(width: 4, index: 0)], worker: "w1", attempt: 1)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        store.close()
        #expect { _ = try store.count() } throws: { ($0 as? StoreError) == .closed(path: path) }
    }

    @Test func reopenResumesWithRecordedTrials() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = [sampleResult(width: 8, index: 1), sampleResult(width: 4, index: 2, converged: false),
                       sampleResult(width: 4, index: 0), sampleResult(width: 16, index: 0)]
        do {
            let store = try StudyStore.open(path: path)
            try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "0.1.0")
            #expect(try store.record(results, worker: "w1", attempt: 1) == 4)
            store.close()
        }
        let reopened = try StudyStore.open(path: path)
        try reopened.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "0.2.0")
        #expect(try reopened.recordedTrialIDs() == Set(results.map(\.id)))
        // The bitset scan (no result decoded) holds the same trials, in (width, index) order.
        #expect(Array(try reopened.recordedTrials()) == results.map(\.id).sorted())
        let sorted = results.sorted { $0.id < $1.id }
        #expect(try reopened.allResults() == sorted)
        #expect(try reopened.results(width: 4) == sorted.filter { $0.id.width == 4 })
        #expect(try reopened.countsByWidth() == [WidthCount(width: 4, recorded: 2, converged: 1),
                                                 WidthCount(width: 8, recorded: 1, converged: 1),
                                                 WidthCount(width: 16, recorded: 1, converged: 1)])
        let study = try #require(try reopened.storedStudy())
        #expect(study.createdByVersion == "0.1.0" && study.lastVersion == "0.2.0")
        #expect(try reopened.recentEvents(limit: 10).contains { $0.kind == "version" })
    }

    @Test func recordIsIdempotentAndFirstRecordingWins() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let batch = (0..<5).map { sampleResult(width: 2, index: $0) }
        #expect(try store.record(batch, worker: "w1", attempt: 1) == 5)
        #expect(try store.record(batch, worker: "w2", attempt: 2) == 0)

        var late = sampleResult(width: 2, index: 3)
        late.steps = 999_999
        let mixed = [late] + (5..<8).map { sampleResult(width: 2, index: $0) } + [sampleResult(width: 2, index: 7)]
        #expect(try store.record(mixed, worker: "w3", attempt: 1) == 3)
        #expect(try store.count() == 8)
        let stored = try store.allResults()
        #expect(stored.map(\.id.index) == Array(0..<8))
        #expect(stored[3].steps == batch[3].steps)
        #expect(try store.record([], worker: "w", attempt: 1) == 0)
    }

    @Test func anotherStudyIsRefused() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "first", resolvedStudyJSON: #"{"widths":[4]}"#, version: "v")
        #expect(throws: StoreError.studyMismatch(stored: "first", requested: "second",
                                                 storedJSON: #"{"widths":[4]}"#)) {
            try store.initialize(studyHash: "second", resolvedStudyJSON: #"{"widths":[8]}"#, version: "v")
        }
        #expect(try store.storedStudy()?.studyHash == "first")
    }

    @Test func recordBeforeInitializeIsRefused() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        #expect(throws: StoreError.notInitialized(path: path)) {
            try store.record([sampleResult(width: 1, index: 0)], worker: "w", attempt: 1)
        }
        #expect(try store.count() == 0)
    }

    @Test func readOnlyReaderSeesWriterProgress() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try StudyStore.open(path: path)
        try writer.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let reader = try StudyStore.open(path: path, readOnly: true)
        #expect(throws: StoreError.readOnly(path: path)) {
            try reader.record([sampleResult(width: 1, index: 0)], worker: "w", attempt: 1)
        }

        let batches = 40, perBatch = 5
        let done = DispatchSemaphore(value: 0)
        let failure = LockedValue<String?>(nil)
        let writerThread = Thread {
            do {
                // The writer connection is used by this thread only from here on.
                let store = try StudyStore.open(path: path)
                for b in 0..<batches {
                    let results = (0..<perBatch).map { sampleResult(width: 3, index: b * perBatch + $0) }
                    _ = try store.record(results, worker: "w", attempt: 1)
                }
                store.close()
            } catch {
                failure.set("\(error)")
            }
            done.signal()
        }
        writer.close()
        writerThread.start()

        var last = 0
        var finished = false
        for _ in 0..<20_000 {
            let seen = try reader.count()
            #expect(seen >= last && seen % perBatch == 0)  // whole transactions only, never going back
            last = seen
            if finished { break }
            finished = done.wait(timeout: .now() + .milliseconds(1)) == .success
        }
        #expect(finished)
        #expect(failure.value == nil)
        #expect(try reader.count() == batches * perBatch)
        #expect(try reader.allResults().count == batches * perBatch)
    }

    @Test func quarantineAndEventsRoundTrip() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let entry = QuarantineEntry(taskID: "task-7", trials: [TrialID(width: 4, index: 1), TrialID(width: 4, index: 2)],
                                    reason: "worker crashed", workers: ["a", "b", "c"], attempts: 3,
                                    at: Date(timeIntervalSince1970: 1_000_000.5))
        try store.recordQuarantine(entry)
        try store.record([sampleResult(width: 4, index: 2)], worker: "d", attempt: 4)
        #expect(try store.quarantined() == [entry])
        #expect(try store.quarantinedTrialIDs() == [TrialID(width: 4, index: 1)])

        for i in 0..<12 { try store.logEvent(kind: "k\(i)", detail: "detail \(i)") }
        let recent = try store.recentEvents(limit: 3)
        #expect(recent.map(\.kind) == ["k9", "k10", "k11"])
        #expect(try store.recentEvents(limit: 0).isEmpty)
    }

    @Test func nonDatabaseFileGivesErrorNamingPath() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(String(repeating: "this is not an SQLite database\n", count: 200).utf8)
            .write(to: URL(fileURLWithPath: path))
        for readOnly in [false, true] {
            #expect {
                _ = try StudyStore.open(path: path, readOnly: readOnly)
            } throws: { error in
                guard case .sqlite(let p, _, _, let message)? = error as? StoreError else { return false }
                return p == path && "\(error)".contains(path) && message.contains("not a database")
            }
        }
        let missing = dir.appendingPathComponent("missing.sqlite").path
        #expect {
            _ = try StudyStore.open(path: missing, readOnly: true)
        } throws: { "\($0)".contains(missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}

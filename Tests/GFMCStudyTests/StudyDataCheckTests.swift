import Foundation
import GFMCEngine
import GFMCStudy
import GFMCTestSupport
import Testing

@Suite("Data checks before any trial runs")
struct StudyDataCheckTests {
    static func directory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-datacheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// The error of loading and checking the study at `path` (load resolves paths and digests, check parses).
    static func error(loading path: String) -> StudyInputError? {
        do {
            let study = try StudyDescription.load(path: path)
            try StudyDataCheck.check(study)
            return nil
        } catch let error as StudyInputError {
            return error
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)")
            return nil
        }
    }

    @Test("each broken data set is refused naming the key, the file and the problem", arguments: BadDataFixtures.cases)
    func brokenDataIsRefused(_ badCase: BadDataCase) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let studyPath = try BadDataFixtures.write(badCase, into: dir)
        let error = try #require(Self.error(loading: studyPath), "\(badCase) was accepted")
        #expect(error.kind == .data)
        #expect(error.key == badCase.key, "\(error)")
        #expect(error.file == dir + "/" + badCase.file, "\(error)")
        #expect(error.problem.contains(badCase.fragment), "\(error)")
        let text = error.description
        #expect(text.hasPrefix(badCase.key) && text.contains(dir + "/" + badCase.file), "\(text)")
    }

    @Test("the executor a worker builds meets the same check (no trap, same message)", arguments: BadDataFixtures.cases)
    func executorMeetsTheSameCheck(_ badCase: BadDataCase) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let studyPath = try BadDataFixtures.write(badCase, into: dir)
        let resolved: StudyDescription
        do {
            resolved = try StudyDescription.load(path: studyPath)
        } catch let error as StudyInputError {
            // Caught at load already (missing file, changed digest): nothing for an executor to build.
            #expect(error.key == badCase.key, "\(error)")
            return
        }
        do {
            _ = try StudyExecutor(study: resolved)
            Issue.record("\(badCase) built an executor")
        } catch let error as StudyInputError {
            #expect(error.key == badCase.key && error.problem.contains(badCase.fragment), "\(error)")
        }
    }

    @Test("the same study with good data passes, and synthetic recipes have nothing to load")
    func goodDataPasses() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Self.error(loading: try BadDataFixtures.writeGood(into: dir)) == nil)
        try StudyDataCheck.check(try StudyDescription.parse(
            #"{"name": "g", "data": {"recipe": "gaussian", "samples": 5, "input_dim": 3}, "widths": [4], "trials": 1}"#))
    }
}

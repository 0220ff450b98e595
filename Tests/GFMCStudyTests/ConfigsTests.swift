import Foundation
import GFMCStudy
import Testing

/// Every study shipped in `configs/` validates, and the quick default embedded in gfmc is that file's text.
@Suite struct ConfigsTests {
    /// The package root, found from this source file's path (Tests/GFMCStudyTests/ConfigsTests.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let configs = packageRoot.appendingPathComponent("configs")

    static func configFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: configs.path).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func everyConfigValidates() throws {
        let files = try Self.configFiles()
        #expect(files.count >= 4)
        for expected in ["quick.json", "paper-imbalance.json", "paper-convergence.json", "paper-wide.json"] {
            #expect(files.contains(expected))
        }
        var hashes = Set<String>()
        for file in files {
            let study = try StudyDescription.load(path: Self.configs.appendingPathComponent(file).path)
            #expect(study.name == String(file.dropLast(".json".count)), "\(file)")
            hashes.insert(study.identityHash)
        }
        #expect(hashes.count == files.count, "two configs describe the same study")
    }

    @Test func embeddedQuickStudyIsConfigsQuick() throws {
        let text = try String(contentsOf: Self.configs.appendingPathComponent("quick.json"), encoding: .utf8)
        #expect(text == EmbeddedStudies.quick)
        let quick = try StudyDescription.parse(EmbeddedStudies.quick)
        #expect(quick.engine == .sampled)
        #expect((quick.totalTrials ?? 0) >= 200 && (quick.totalTrials ?? 0) <= 1000)
    }

    @Test func paperWideMatchesTheExperiment() throws {
        let s = try StudyDescription.load(path: Self.configs.appendingPathComponent("paper-wide.json").path)
        #expect(s.widths == Array(stride(from: 500, through: 10000, by: 500)))
        #expect(s.trials == 5)
        #expect(s.data == StudyData(recipe: .gaussian, samples: 100, inputDim: 400, outputDim: 1, noise: 0.01,
                                    dataSeed: 530))
        #expect(s.initialization == StudyInitialization(kind: .widthScaled, alpha: 0.5))
        // η = 5e-3 on the mean loss is 2η/N = 1e-4 on the ½-loss.
        #expect(abs(s.effectiveGDStep(samples: 100)! - 1e-4) < 1e-18)
    }

    @Test func filesRecipeResolvesPathsAndHashesContents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-study-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "1,2\n3,4\n".write(to: dir.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        try "1\n2\n".write(to: dir.appendingPathComponent("y.csv"), atomically: true, encoding: .utf8)
        let studyText = """
        {"name": "f", "data": {"recipe": "files", "x_file": "x.csv", "y_file": "y.csv"}, "widths": [4], "trials": 1,
         "init": {"kind": "gaussian", "sigma_u": 1, "sigma_v": 1}}
        """
        let studyPath = dir.appendingPathComponent("s.json").path
        try studyText.write(toFile: studyPath, atomically: true, encoding: .utf8)
        let s = try StudyDescription.load(path: studyPath)
        #expect(s.data.xFile == dir.appendingPathComponent("x.csv").standardizedFileURL.path)
        #expect(s.data.xSHA256 == SHA256.hexDigest("1,2\n3,4\n"))
        #expect(s.data.ySHA256 == SHA256.hexDigest("1\n2\n"))
        // The canonical form carries the digests, so it reloads (and checks them) from anywhere.
        #expect(try StudyDescription.parse(s.canonicalJSON) == s)

        // A changed data file changes the identity; a recorded digest that no longer matches is refused.
        try "1,2\n3,5\n".write(to: dir.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        #expect(try StudyDescription.load(path: studyPath).identityHash != s.identityHash)
        try s.canonicalJSON.write(toFile: studyPath, atomically: true, encoding: .utf8)
        #expect(throws: StudyInputError.self) { try StudyDescription.load(path: studyPath) }
        do { _ = try StudyDescription.load(path: studyPath) } catch let e as StudyInputError {
            #expect(e.key == "data.x_sha256" && e.file == s.data.xFile && e.kind == .data, "\(e)")
        }

        #expect(throws: StudyError.unreadable(file: dir.appendingPathComponent("missing.json").path, reason: "no such file")) {
            try StudyDescription.load(path: dir.appendingPathComponent("missing.json").path)
        }
    }
}

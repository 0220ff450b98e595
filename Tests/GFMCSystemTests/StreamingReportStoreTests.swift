import Foundation
import GFMCApplication
import GFMCCommandLine
import GFMCStore
import GFMCStudy
import Testing

extension SystemTests {
    @Suite("gfmc report streams the store and writes the in-memory report's bytes")
    struct StreamingReportStore {
        /// The embedded quick study, and a precision study (its verdict is built one width at a time too).
        static let studies = [
            EmbeddedStudies.quick,
            """
            {"name": "stream-precision", "seed": 5,
             "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10, "output_dim": 1, "noise": 0.01, "data_seed": 77},
             "init": {"kind": "width_scaled", "alpha": 0.5}, "widths": [10, 40, 160, 640], "engine": "sampled", "deltas": [0.05],
             "precision": {"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.04}],
                           "min_trials_per_width": 10, "max_trials_per_width": 1000}}
            """,
        ]

        @Test("report files from the streaming pass equal the report built from every result in memory",
              arguments: Self.studies)
        func streamedEqualsInMemory(_ text: String) throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            defer { try? FileManager.default.removeItem(at: root) }
            let directory = RunDirectory(path: root.path)
            // 700 per width: more scatter candidates than report.html shows, so its subset spans widths.
            try SyntheticFill.fill(directory: directory, study: try StudyDescription.parse(text), trialsPerWidth: 700)
            let study = try directory.storedStudy()
            if study.precision != nil {
                // A trial at a width the study does not list: stored, but not the study's, so not reported.
                let store = try StudyStore(path: directory.storePath)
                try store.record([SyntheticFill.trial(width: 20, index: 0, seed: 1, engine: "sampled", method: "flow",
                                                      deltas: study.deltas)], worker: "test", attempt: 1)
                store.close()
            }

            let built = try RunDirectoryReport.write(directory: directory)
            let store = try StudyStore(path: directory.storePath, readOnly: true)
            let results = try store.allResults().filter { study.widths.contains($0.id.width) }
            #expect(try store.count() == results.count + (study.precision == nil ? 0 : 1))
            store.close()
            let reference = try RunDirectoryReport.build(study: study, results: results)

            #expect(built.storedTrials == results.count && results.count == 700 * study.widths.count)
            #expect((built.precision == nil) == (study.precision == nil))
            if let verdict = built.precision { #expect(verdict.widths.map(\.width) == [10, 40, 160, 640]) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.trialsCSVPath)) == Data(reference.trialsCSV.utf8))
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.summaryPath)) == reference.summaryJSON)
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.reportPath)) == Data(reference.html.utf8))
            #expect(built.terminal == reference.terminal)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }

        @Test("--csv-gzip writes trials.csv.gz whose gzip -dc is trials.csv's bytes, and removes the stale other form")
        func gzipCSVDecompressesToThePlainBytes() throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-gzip-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            defer { try? FileManager.default.removeItem(at: root) }
            let directory = RunDirectory(path: root.path)
            let study = try StudyDescription.parse(EmbeddedStudies.quick)
            try SyntheticFill.fill(directory: directory, study: study, trialsPerWidth: 3000)  // ~2 MB of CSV

            try RunDirectoryReport.write(directory: directory)
            let plain = try Data(contentsOf: URL(fileURLWithPath: directory.trialsCSVPath))
            let (context, capture) = CommandContext.capturing()
            #expect(GFMCMain.run(arguments: ["report", root.path, "--csv-gzip"], context: context) == 0,
                    "\(capture.output)")
            let gzPath = RunDirectoryReport.trialsCSVGzipPath(directory)
            #expect(!FileManager.default.fileExists(atPath: directory.trialsCSVPath), "stale trials.csv kept")

            let gunzip = Process()
            gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gunzip.arguments = ["gzip", "-dc", gzPath]
            let pipe = Pipe()
            gunzip.standardOutput = pipe
            try gunzip.run()
            let decompressed = pipe.fileHandleForReading.readDataToEndOfFile()
            gunzip.waitUntilExit()
            #expect(gunzip.terminationStatus == 0)
            #expect(decompressed == plain)
            let compressed = try Data(contentsOf: URL(fileURLWithPath: gzPath))
            #expect(compressed.count * 2 < plain.count, "\(compressed.count) bytes compressed of \(plain.count)")

            try RunDirectoryReport.write(directory: directory)
            #expect(!FileManager.default.fileExists(atPath: gzPath), "stale trials.csv.gz kept")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.trialsCSVPath)) == plain)
        }
    }
}

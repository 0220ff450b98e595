import Foundation

/// The undisturbed 1-worker run of each test study (`gfmc run STUDY --workers 1`), computed once per test process
/// and shared by every test that compares against it. Its run directory is removed after `trials.csv` is read.
actor ReferenceRuns {
    static let shared = ReferenceRuns()
    private var runs: [String: TrialsCSV] = [:]

    /// The reference `trials.csv` of `study` (keyed by the study's name, so one name = one study).
    func trials(of study: TestStudy, timeout: Double = 90) async throws -> TrialsCSV {
        if let cached = runs[study.name] { return cached }
        let directory = try TemporaryDirectory(prefix: "reference-\(study.name)")
        let group = ProcessGroupGuard(logDirectory: directory.path)
        defer {
            group.stopAll()
            directory.remove()
        }
        let gfmc = try GFMCProcesses(group: group)
        let studyPath = try study.write(into: directory.path)
        let out = directory.file("run")
        let csv = try await gfmc.runToCompletion(study: studyPath, workers: 1, out: out, timeout: timeout)
        let keys = try csv.keys()
        guard keys == study.expectedKeys else {
            throw SystemTestError("the reference run of \(study.name) has \(keys.count) rows, expected \(study.totalTrials) sorted by width then trial")
        }
        // Keep the parsed text; the path in messages names where it came from.
        runs[study.name] = csv
        return csv
    }
}

/// The studies the system tests share.
enum SharedStudies {
    /// ≥ 2,000 trials of milliseconds each: 4 widths × 500 trials.
    static let twoThousand = TestStudy(name: "systest-2000", widths: [10, 40, 160, 640], trials: 500)
}

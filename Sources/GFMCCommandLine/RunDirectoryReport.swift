import Foundation
import GFMCEngine
import GFMCReport
import GFMCRuntime
import GFMCStore
import GFMCStudy

/// Builds and writes a run directory's report (`trials.csv`, `summary.json`, `report.html`) from its store.
/// The coordinator (at the end of a run or after a stop) and `gfmc report` (any time, read-only store) both use
/// this, so their files are byte-identical for the same stored trials: no timestamps, order-independent.
public enum RunDirectoryReport {
    /// The report of the stored trials, plus the precision verdict for a study with a `precision` block.
    public struct Built: Sendable {
        public var bundle: ReportBundle
        public var precision: PrecisionVerdict?
        public var summaryJSON: Data
        /// The terminal table, with the precision verdict appended when there is one.
        public var terminal: String
        public var storedTrials: Int
    }

    /// Per-width verdict on a study's precision targets (written into summary.json as `precision`).
    public struct PrecisionVerdict: Codable, Equatable, Sendable {
        public struct Width: Codable, Equatable, Sendable {
            public var width: Int
            public var trials: Int
            public var converged: Int
            public var targetsMet: Bool
            public var capReached: Bool

            public init(width: Int, trials: Int, converged: Int, targetsMet: Bool, capReached: Bool) {
                self.width = width
                self.trials = trials
                self.converged = converged
                self.targetsMet = targetsMet
                self.capReached = capReached
            }
        }
        /// The study's targets as evaluated (allocator form: interval width = 2 × half_width).
        public var targets: [String]
        public var confidence: Double
        public var minTrialsPerWidth: Int
        public var maxTrialsPerWidth: Int
        public var widths: [Width]
        public var allTargetsMet: Bool
    }

    /// What a report needs to know about the study.
    public static func manifest(for study: StudyDescription) -> ReportManifest {
        let spec = StudyExecutor.initializationSpec(study.initialization)
        let engine = (try? EngineKind.resolve(study.engine.rawValue, for: spec).rawValue) ?? study.engine.rawValue
        let alpha: Double? = study.initialization.kind == .gaussian
            ? nil : (study.initialization.alpha ?? (study.initialization.kind == .widthScaled ? 0.5 : nil))
        return ReportManifest(studyName: study.name, studyHash: study.identityHash, gfmcVersion: GFMCVersion.current,
                              seed: study.seed, engine: engine, method: study.method.rawValue, alpha: alpha,
                              deltas: study.deltas, widths: study.widths, plannedTrialsPerWidth: study.trials,
                              resolvedStudy: study.canonicalJSON)
    }

    /// The report for `results` of `study` (pure).
    public static func build(study: StudyDescription, results: [TrialResult]) throws -> Built {
        let bundle = try ReportBundle.make(trials: results, manifest: manifest(for: study))
        var summaryJSON = bundle.summaryJSON
        var terminal = bundle.terminal
        var verdict: PrecisionVerdict?
        if let precision = study.precision, let rounds = try? PrecisionRounds(study: study) {
            let plan = rounds.plan(results: results)
            let v = PrecisionVerdict(
                targets: rounds.targets.map(\.description), confidence: precision.confidence,
                minTrialsPerWidth: precision.minTrialsPerWidth, maxTrialsPerWidth: precision.maxTrialsPerWidth,
                widths: plan.widths.map { PrecisionVerdict.Width(width: $0.width, trials: $0.currentTrials, converged: $0.currentConverged,
                                                targetsMet: $0.targetsMet, capReached: $0.capReached) },
                allTargetsMet: plan.widths.allSatisfy(\.targetsMet))
            verdict = v
            summaryJSON = try splice(precision: v, into: summaryJSON)
            terminal += "Precision targets (\(v.targets.joined(separator: "; "))):\n"
            for w in v.widths {
                terminal += "  h=\(w.width): \(w.targetsMet ? "met" : w.capReached ? "NOT met (cap \(precision.maxTrialsPerWidth) reached)" : "not met yet") "
                    + "with \(w.trials) trials\n"
            }
        }
        return Built(bundle: bundle, precision: verdict, summaryJSON: summaryJSON, terminal: terminal,
                     storedTrials: bundle.summary.totals.trials)
    }

    /// Adds `"precision": {…}` as the last key of summary.json (pretty, sorted keys inside).
    static func splice(precision: PrecisionVerdict, into summary: Data) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let inner = String(decoding: try encoder.encode(precision), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: "\n  ")
        var text = String(decoding: summary, as: UTF8.self)
        guard let close = text.lastIndex(of: "}") else { return summary }
        var head = String(text[..<close])
        while head.last?.isWhitespace == true { head.removeLast() }
        text = head + ",\n  \"precision\" : " + inner + "\n}\n"
        return Data(text.utf8)
    }

    /// Reads the directory's store (read-only) and writes the three files atomically.
    /// - Parameter study: the study to report (default: the one stored in the directory).
    @discardableResult
    public static func write(directory: RunDirectory, study: StudyDescription? = nil) throws -> Built {
        let study = try study ?? directory.storedStudy()
        let results: [TrialResult]
        do {
            let store = try StudyStore(path: directory.storePath, readOnly: true)
            defer { store.close() }
            results = try store.allResults()
        } catch {
            throw CommandLineError.failure("cannot read the study store \(directory.storePath): \(error)")
        }
        let built = try build(study: study, results: results)
        do {
            try Data(built.bundle.trialsCSV.utf8).write(to: URL(fileURLWithPath: directory.trialsCSVPath), options: .atomic)
            try built.summaryJSON.write(to: URL(fileURLWithPath: directory.summaryPath), options: .atomic)
            try Data(built.bundle.html.utf8).write(to: URL(fileURLWithPath: directory.reportPath), options: .atomic)
        } catch {
            throw CommandLineError.failure("cannot write the report into \(directory.path): \(error.localizedDescription)")
        }
        return built
    }
}

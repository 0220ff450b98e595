import Foundation
import GFMCConcurrency
import GFMCEngine
import GFMCModel
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
        /// The summary (its `precision` is the verdict, when the study has one).
        public var summary: StudySummary
        /// The verdict on the study's precision targets (also in `summaryJSON` and `terminal`).
        public var precision: PrecisionVerdict?
        /// summary.json bytes, the precision verdict included.
        public var summaryJSON: Data
        /// The terminal table, with the precision verdict's lines after it when there is one.
        public var terminal: String
        public var storedTrials: Int
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

    /// The report for `results` of `study`, built in memory (pure). `write` streams the same bytes from a
    /// store; this is the reference it is tested against.
    public static func build(study: StudyDescription, results: [TrialResult]) throws -> ReportBundle {
        try ReportBundle.make(trials: results, manifest: manifest(for: study),
                              precision: precisionVerdict(study: study, results: results))
    }

    /// The verdict on `study`'s precision targets given `results`; nil for a study with a fixed trial count.
    static func precisionVerdict(study: StudyDescription, results: [TrialResult]) -> PrecisionVerdict? {
        guard let precision = study.precision, let rounds = try? PrecisionRounds(study: study) else { return nil }
        let plan = rounds.plan(results: results)
        return PrecisionVerdict(
            targets: rounds.targets.map(\.description), confidence: precision.confidence,
            minTrialsPerWidth: precision.minTrialsPerWidth, maxTrialsPerWidth: precision.maxTrialsPerWidth,
            widths: plan.widths.map {
                PrecisionVerdict.Width(width: $0.width, trials: $0.currentTrials, converged: $0.currentConverged,
                                       targetsMet: $0.targetsMet, capReached: $0.capReached)
            },
            allTargetsMet: plan.widths.allSatisfy(\.targetsMet))
    }

    /// Where `write(directory:csvGzip: true)` puts the compressed trials.csv.
    public static func trialsCSVGzipPath(_ directory: RunDirectory) -> String { directory.trialsCSVPath + ".gz" }

    /// The verdict from per-width allocations (`allocations` holds every width in `rounds.widths` ∪ stored).
    static func precisionVerdict(study: StudyDescription, allocations: [WidthAllocation]) -> PrecisionVerdict? {
        guard let precision = study.precision, let rounds = try? PrecisionRounds(study: study) else { return nil }
        return PrecisionVerdict(
            targets: rounds.targets.map(\.description), confidence: precision.confidence,
            minTrialsPerWidth: precision.minTrialsPerWidth, maxTrialsPerWidth: precision.maxTrialsPerWidth,
            widths: allocations.map {
                PrecisionVerdict.Width(width: $0.width, trials: $0.currentTrials, converged: $0.currentConverged,
                                       targetsMet: $0.targetsMet, capReached: $0.capReached)
            },
            allTargetsMet: allocations.allSatisfy(\.targetsMet))
    }

    /// Reads the directory's store (read-only) in one pass, one width at a time, and writes the three files
    /// atomically (trials.csv is streamed into a temporary file renamed into place). The files are
    /// byte-identical to `build(study:results:)`'s for the stored trials that belong to the study (its widths and,
    /// with a fixed trial count, indices below it: `RunDirectory.scope(of:)`); memory holds one width's trials.
    /// - Parameters:
    ///   - study: the study to report (default: the one stored in the directory).
    ///   - csvGzip: write `trials.csv.gz` (gzip of the same bytes) instead of `trials.csv`. Whichever form is
    ///     written, a stale file of the other form is removed, so the directory never holds two that disagree.
    @discardableResult
    public static func write(directory: RunDirectory, study: StudyDescription? = nil,
                             csvGzip: Bool = false) throws -> Built {
        let study = try study ?? directory.storedStudy()
        let manifest = manifest(for: study)
        let rounds = study.precision == nil ? nil : try? PrecisionRounds(study: study)
        // A store may hold trials outside the study (it shrank); the report covers the study as described.
        let scope = RunDirectory.scope(of: study)
        let plainURL = URL(fileURLWithPath: directory.trialsCSVPath)
        let gzipURL = URL(fileURLWithPath: trialsCSVGzipPath(directory))
        let csvURL = csvGzip ? gzipURL : plainURL
        let temporaryCSV = csvURL.deletingLastPathComponent()
            .appendingPathComponent(".\(csvURL.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporaryCSV.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporaryCSV) else {
            throw ApplicationError.failure("cannot write the report into \(directory.path): cannot create \(temporaryCSV.path)")
        }
        var handleOpen = true
        let file = SequentialFileWriter(descriptor: handle.fileDescriptor, path: temporaryCSV.path)
        let gzip: GzipFileWriter? = csvGzip ? try GzipFileWriter(output: file) : nil
        defer {
            if handleOpen { try? handle.close() }
            try? FileManager.default.removeItem(at: temporaryCSV)
        }
        let artifacts: StreamedArtifacts
        var allocations: [WidthAllocation] = []
        do {
            let store = try StudyStore(path: directory.storePath, readOnly: true)
            defer { store.close() }
            artifacts = try store.withReadSnapshot {
                var report = try StreamingReport(manifest: manifest,
                                                 scatterCandidates: try store.countConvergedWithPositiveRates(scope: scope)) {
                    if let gzip { try gzip.write($0) } else { try file.write($0) }
                }
                var pending = Array(Set(rounds?.widths ?? [])).sorted()
                // Decoding the next width from the store overlaps with writing and summarizing this one.
                try overlapped(produce: { emit in try store.forEachWidth(scope: scope) { try emit(($0, $1)) } }) { width, trials in
                    try report.add(width: width, trials: trials)
                    guard let rounds else { return }
                    while let w = pending.first, w < width {
                        allocations.append(rounds.allocator.allocate(width: w, trials: []))
                        pending.removeFirst()
                    }
                    if pending.first == width { pending.removeFirst() }
                    allocations.append(rounds.allocator.allocate(width: width, trials: trials))
                }
                if let rounds { allocations += pending.map { rounds.allocator.allocate(width: $0, trials: []) } }
                return try report.finish(precision: precisionVerdict(study: study, allocations: allocations))
            }
        } catch let error as ApplicationError {
            throw error
        } catch let error as SequentialFileWriter.WriteError {
            throw ApplicationError.failure("cannot write the report into \(directory.path): \(error)")
        } catch {
            throw ApplicationError.failure("cannot read the study store \(directory.storePath): \(error)")
        }
        do {
            try gzip?.finish()
            try handle.close()
            handleOpen = false
            guard rename(temporaryCSV.path, csvURL.path) == 0 else {
                throw ApplicationError.failure("cannot write the report into \(directory.path): cannot rename "
                                               + "\(temporaryCSV.path) to \(csvURL.path): \(String(cString: strerror(errno)))")
            }
            let stale = csvGzip ? plainURL : gzipURL
            if FileManager.default.fileExists(atPath: stale.path) { try FileManager.default.removeItem(at: stale) }
            try artifacts.summaryJSON.write(to: URL(fileURLWithPath: directory.summaryPath), options: .atomic)
            try Data(artifacts.html.utf8).write(to: URL(fileURLWithPath: directory.reportPath), options: .atomic)
        } catch let error as ApplicationError {
            throw error
        } catch let error as SequentialFileWriter.WriteError {
            throw ApplicationError.failure("cannot write the report into \(directory.path): \(error)")
        } catch {
            throw ApplicationError.failure("cannot write the report into \(directory.path): \(error.localizedDescription)")
        }
        let terminal = artifacts.terminal
        return Built(summary: artifacts.summary, precision: artifacts.summary.precision,
                     summaryJSON: artifacts.summaryJSON, terminal: terminal,
                     storedTrials: artifacts.summary.totals.trials)
    }
}

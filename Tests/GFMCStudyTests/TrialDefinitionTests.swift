import GFMCStudy
import Testing

/// The trial definition hash: which study keys change what a trial is (and so refuse reuse and merges) and
/// which only change the study's size.
@Suite struct TrialDefinitionTests {
    static func study(_ path: String, _ value: String?) throws -> StudyDescription {
        try StudyDescription.resolve(StudyFixture.with(path, value))
    }

    static let base = try! StudyDescription.resolve(StudyFixture.minimal)

    @Test("name, trials, widths and precision leave the trial definition unchanged", arguments: [
        ("name", #""renamed""#),
        ("trials", "500"),
        ("widths", "[10, 100, 1000]"),
        ("widths", "[100]"),
    ])
    func sizeKeysKeepTheDefinition(path: String, value: String) throws {
        let changed = try Self.study(path, value)
        #expect(changed.identityHash != Self.base.identityHash, "the study itself does change")
        #expect(changed.trialDefinitionHash == Self.base.trialDefinitionHash)
        #expect(StudyDescription.trialDefinitionDiff(Self.base, changed).isEmpty)
    }

    @Test("a precision block instead of a trial count keeps the trial definition")
    func precisionKeepsTheDefinition() throws {
        let withPrecision = try StudyDescription.resolve(StudyFixture.with(
            "precision", #"{"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.01}], "max_trials_per_width": 100}"#,
            in: StudyFixture.with("trials", nil)))
        #expect(withPrecision.trials == nil && withPrecision.precision != nil)
        #expect(withPrecision.trialDefinitionHash == Self.base.trialDefinitionHash)
    }

    @Test("every trial-defining key changes the definition, and the diff names it", arguments: [
        ("seed", "8", "seed"),
        ("data.noise", "0.5", "data.noise"),
        ("data.samples", "11", "data.samples"),
        ("data.data_seed", "99", "data.data_seed"),
        ("init.alpha", "0.3", "init.alpha"),
        ("engine", #""weights""#, "engine"),
        ("tolerances.relative", "1e-5", "tolerances.relative"),
        ("tolerances.max_steps", "1234", "tolerances.max_steps"),
        ("deltas", "[0.1]", "deltas"),
        ("rank_tolerance", "1e-9", "rank_tolerance"),
    ])
    func definingKeysChangeTheDefinition(path: String, value: String, key: String) throws {
        let changed = try Self.study(path, value)
        #expect(changed.trialDefinitionHash != Self.base.trialDefinitionHash)
        let diff = StudyDescription.trialDefinitionDiff(Self.base, changed)
        // (seed also moves data.data_seed, whose default derives from it.)
        #expect(diff.contains { $0.hasPrefix(key + ":") }, "\(diff)")
        #expect(!diff.contains { ["name", "trials", "widths", "precision"].contains(String($0.prefix { $0 != ":" && $0 != "." })) })
    }

    @Test("a size change next to a defining change: the diff lists only the defining key")
    func diffLeavesOutSizeKeys() throws {
        let changed = try StudyDescription.resolve(StudyFixture.with("trials", "9", in: StudyFixture.with("data.noise", "0.3")))
        #expect(StudyDescription.trialDefinitionDiff(Self.base, changed).map { String($0.prefix(11)) } == ["data.noise:"])
    }

    @Test("the hash is SHA-256 of the canonical JSON without the size keys; the stored JSON gives the same hash")
    func hashOfCanonicalText() throws {
        #expect(Self.base.trialDefinitionHash == SHA256.hexDigest(Self.base.trialDefinitionJSON))
        for key in ["\"name\"", "\"trials\"", "\"widths\"", "\"precision\""] {
            #expect(!Self.base.trialDefinitionJSON.contains(key), "\(key) in \(Self.base.trialDefinitionJSON)")
        }
        #expect(Self.base.trialDefinitionJSON.contains("\"seed\""))
        #expect(StudyDescription.trialDefinitionHash(ofResolvedJSON: Self.base.canonicalJSON) == Self.base.trialDefinitionHash)
        #expect(StudyDescription.trialDefinitionHash(ofResolvedJSON: "not json") == nil)
    }

    @Test("a data file enters by its SHA-256, not its path")
    func dataFileByContent() throws {
        var a = Self.base
        a.data.recipe = .files
        a.data.xFile = "/cluster-a/data/x.npy"
        a.data.xSHA256 = String(repeating: "a", count: 64)
        var b = a
        b.data.xFile = "/cluster-b/scratch/x.npy"
        #expect(a.trialDefinitionHash == b.trialDefinitionHash)
        b.data.xSHA256 = String(repeating: "b", count: 64)
        #expect(a.trialDefinitionHash != b.trialDefinitionHash)
        #expect(StudyDescription.trialDefinitionDiff(a, b).map { String($0.prefix(13)) } == ["data.x_sha256"])
    }
}

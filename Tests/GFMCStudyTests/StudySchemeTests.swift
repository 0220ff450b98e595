import Foundation
import GFMCEngine
import GFMCModel
import GFMCStudy
import Testing

/// Selecting the fast path of the flow with `"scheme": "dop853"`: the default keeps the identity of studies that
/// do not name a scheme, naming dop853 makes another study, and its trials are integrated with that pair.
@Suite struct StudySchemeTests {
    static let base = """
    {"name": "schemes", "seed": 11, "data": {"recipe": "gaussian", "samples": 5, "input_dim": 8, "output_dim": 1},
     "widths": [40], "trials": 2, "deltas": [0.01]
    """

    static func study(_ extra: String) throws -> StudyDescription { try StudyDescription.parse(base + extra + "}") }

    @Test func theDefaultSchemeKeepsTheIdentityAndDop853ChangesIt() throws {
        let plain = try Self.study("")
        let explicitDefault = try Self.study(#", "scheme": "dopri5""#)
        let fast = try Self.study(#", "scheme": "dop853""#)
        #expect(plain.scheme == .dopri5 && fast.scheme == .dop853)
        #expect(explicitDefault.identityHash == plain.identityHash)
        #expect(!plain.canonicalJSON.contains(#""scheme":"#))
        #expect(fast.identityHash != plain.identityHash)
        #expect(fast.canonicalJSON.contains(#""scheme":"dop853""#))
        // The canonical text parses back to the same study.
        #expect(try StudyDescription.parse(fast.canonicalJSON) == fast)
        // A scheme belongs to the flow: with gradient descent it is an error naming the key.
        #expect(throws: StudyError.self) {
            try Self.study(#", "method": "gd", "gd_step": 0.001, "scheme": "dop853""#)
        }
        #expect(throws: StudyError.self) { try Self.study(#", "scheme": "rk4""#) }
    }

    @Test func dop853StudiesRunTheirTrialsWithThatPair() throws {
        let plain = try StudyExecutor(study: try Self.study(""))
        let fast = try StudyExecutor(study: try Self.study(#", "scheme": "dop853""#))
        #expect(plain.settings.scheme == .dopri5 && fast.settings.scheme == .dop853)
        let id = TrialID(width: 40, index: 1)
        let a = try plain.run(id), b = try fast.run(id)
        #expect(a.converged && b.converged)
        // Same start (the draws do not depend on the scheme), different integrations, same answer.
        #expect(a.lemma34Quantity == b.lemma34Quantity && a.effectiveImbalance == b.effectiveImbalance)
        #expect(b.rhsEvaluations != a.rhsEvaluations)
        #expect(abs(a.distanceFrobenius - b.distanceFrobenius) <= 1e-7 * a.distanceFrobenius)
    }
}

import Foundation
import GFMCModel

/// The canonical form of a collection of trial records: sorted by TrialID (width, then index), one record
/// per TrialID. Every report artifact starts from this, so results do not depend on arrival order, on
/// retries that delivered a trial twice, or on a resumed run that re-sent stored trials.
///
/// Duplicates: trials are pure functions of (study, TrialID), so duplicate records normally agree except for
/// `wallSeconds`. To stay order-independent even if they do not, the kept record is the one whose canonical
/// JSON (sorted keys, `wallSeconds` set to 0) is lexicographically smallest; ties are equal records.
public struct TrialSet: Sendable {
    /// Distinct trials, sorted by TrialID.
    public let trials: [TrialResult]
    /// Number of records dropped as duplicates.
    public let duplicatesDropped: Int

    public init(_ records: [TrialResult]) {
        var groups: [TrialID: [TrialResult]] = [:]
        for r in records { groups[r.id, default: []].append(r) }
        var kept: [TrialResult] = []
        kept.reserveCapacity(groups.count)
        for id in groups.keys.sorted() {
            let group = groups[id]!
            if group.count == 1 {
                kept.append(group[0])
            } else {
                kept.append(group.min { TrialSet.canonicalKey($0) < TrialSet.canonicalKey($1) }!)
            }
        }
        trials = kept
        duplicatesDropped = records.count - kept.count
    }

    /// Trials grouped by width (each group sorted by index).
    public var byWidth: [Int: [TrialResult]] {
        Dictionary(grouping: trials, by: { $0.id.width })
    }

    static func canonicalKey(_ trial: TrialResult) -> String {
        var t = trial
        t.wallSeconds = 0
        let data = (try? GFMCJSON.encoder().encode(t)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

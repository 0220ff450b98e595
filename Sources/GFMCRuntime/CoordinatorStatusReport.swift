import Foundation
import GFMCCoordination
import GFMCModel

/// The state of a run as `status.json` and `gfmc status` name it (the raw values are the text written).
public enum RunState: String, Codable, Sendable {
    /// A coordinator serves the run (status.json is rewritten every second).
    case running
    /// The study is complete.
    case complete
    /// The coordinator stopped before completion (a signal, or an error); rerunning resumes.
    case stopped
    /// status.json says running, but its coordinator is gone (killed) — read by `gfmc status` only.
    case interrupted
    /// No status.json: no coordinator has served the directory yet — read by `gfmc status` only.
    case notRunning = "not running"
}

/// The coordinator's `status.json` (written atomically every progress interval and at the end), read
/// by `gfmc status`.
public struct CoordinatorStatusReport: Codable, Equatable, Sendable {
    /// `running`, `complete` or `stopped` (a coordinator never writes the other states).
    public var state: RunState
    /// The endpoint the coordinator is bound to (the real port when bound to port 0).
    public var endpoint: String
    public var pid: Int32
    /// Unix time of this snapshot (seconds).
    public var updatedAt: Double
    public var status: CoordinatorStatus

    public init(state: RunState, endpoint: String, pid: Int32, updatedAt: Double, status: CoordinatorStatus) {
        self.state = state
        self.endpoint = endpoint
        self.pid = pid
        self.updatedAt = updatedAt
        self.status = status
    }

    /// Human-readable form for `gfmc status`.
    public var text: String {
        var lines = ["state: \(state.rawValue) (pid \(pid), \(endpoint))", status.progressLine]
        lines.append("study: \(status.studyHash)")
        lines.append("elapsed: \(CoordinatorStatus.duration(status.elapsedSeconds)), tasks issued: \(status.tasksIssued), "
                     + "duplicates dropped: \(status.duplicatesDropped), rejected messages: \(status.rejectedMessages)")
        return lines.joined(separator: "\n")
    }

    /// Pretty, sorted-key JSON (NaN-free by construction: the ETA is null when unknown).
    public func json() throws -> Data {
        try GFMCJSON.encoder([.prettyPrinted, .sortedKeys]).encode(self)
    }

    /// Writes atomically (temporary file + rename), so readers never see a torn file.
    public func write(to path: String) throws {
        try json().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> CoordinatorStatusReport {
        try GFMCJSON.decoder().decode(CoordinatorStatusReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

import Foundation
import GFMCTestSupport
import GFMCTransport

/// A hostile ZeroMQ client of the coordinator, built on GFMCTransport's DEALER: it sends garbage frames, wrong
/// protocol tags and versions, unknown and wrong-direction message types, malformed and oversized bodies
/// (frames per docs/protocol.md: tag `GFMC`+UInt16 version, type, JSON body), and then checks that the
/// coordinator still answers protocol messages correctly.
///
/// Everything happens synchronously on the calling thread (a socket belongs to one thread for its life).
enum HostileDealer {
    struct Report: Sendable, CustomStringConvertible {
        var junkMessagesSent = 0
        var oversizedBytesSent = 0
        /// The coordinator answered a session-less `heartbeat` with `reannounce` after the junk.
        var reannounceAfterJunk = false
        /// The coordinator answered a well-formed `ready` with `welcome` after the junk.
        var welcomeAfterJunk = false
        var description: String {
            "junk=\(junkMessagesSent) oversized=\(oversizedBytesSent)B reannounce=\(reannounceAfterJunk) welcome=\(welcomeAfterJunk)"
        }
    }

    static let tagV1: [UInt8] = Array("GFMC".utf8) + [0, 1]

    /// Messages a coordinator must reject (and survive). None of them is a valid message of a leased worker.
    static func junkMessages(seed: UInt64) -> [[[UInt8]]] {
        var generator = SeededGenerator(seed: seed)
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        func text(_ s: String) -> [UInt8] { Array(s.utf8) }
        return [
            [random(1)],
            [random(300)],
            [[], [], []],
            [random(8), random(8), random(8), random(8)],
            [text("GFM"), text("ready"), text("{}")],
            [text("XXXX") + [0, 1], text("ready"), text("{}")],
            [text("GFMC") + [0, 2], text("heartbeat"), []],
            [text("GFMC") + [0, 0], text("heartbeat"), []],
            [text("GFMC") + [0xff, 0xff], text("ready"), text(#"{"credits": 1}"#)],
            [text("GFMC") + [0, 1, 7], text("heartbeat"), []],
            [tagV1, text("launch_missiles"), text("{}")],
            [tagV1, Array(repeating: UInt8(ascii: "x"), count: 500), []],
            [tagV1, random(12), []],
            [tagV1, text("task"), text(#"{"taskID": {"epoch": 1, "serial": 1}, "studyHash": "0", "trials": [{"width": 10, "index": 0}]}"#)],
            [tagV1, text("welcome"), text(#"{"studyHash": "0", "studyJSON": "{}"}"#)],
            [tagV1, text("cancel"), text(#"{"taskID": {"epoch": 1, "serial": 1}}"#)],
            [tagV1, text("shutdown"), []],
            [tagV1, text("reannounce"), []],
            [tagV1, text("ready"), text(#"{"credits": "#)],
            [tagV1, text("ready"), text(#"{"credits": 0, "slots": 1, "host": "hostile", "pid": 1, "workerVersion": "x"}"#)],
            [tagV1, text("ready"), text(#"{"credits": -3, "slots": 1, "host": "hostile", "pid": 1, "workerVersion": "x"}"#)],
            [tagV1, text("ready"), text(#"{"credits": "many"}"#)],
            [tagV1, text("ready"), random(64)],
            [tagV1, text("heartbeat"), text("not empty")],
            [tagV1, text("result"), text(#"{"taskID": {"epoch": 0, "serial": 0}, "studyHash": "0", "results": [], "trialSeconds": []}"#)],
            [tagV1, text("result"), text(#"{"taskID": 5}"#)],
            [tagV1, text("result"), text("[1, 2, 3]")],
            [tagV1, text("task_failed"), text(#"{"taskID": {"epoch": 9, "serial": 9}, "reason": "hostile"}"#)],
            [tagV1, text("goodbye"), text(#"{"returnedTaskIDs": [{"epoch": 1, "serial": 2}]}"#)],
            [tagV1, text("goodbye"), text(#"{"returnedTaskIDs": "all"}"#)],
        ]
    }

    /// Runs the attack against `endpoint` (e.g. `tcp://127.0.0.1:5555`). Bounded: every wait has a timeout.
    static func attack(endpoint: String, seed: UInt64, replyTimeoutMilliseconds: Int = 8000) throws -> Report {
        var report = Report()
        let context = try ZMQContext()
        defer { context.shutdown() }

        // 1. Junk and the liveness probes on one connection.
        let dealer = try ZMQSocket(context: context, type: .dealer)
        defer { dealer.close() }
        try dealer.set(.sendTimeout(2000))
        try dealer.connect(endpoint)
        for message in junkMessages(seed: seed) {
            try dealer.send(message)
            report.junkMessagesSent += 1
        }
        // A heartbeat from a worker the coordinator does not know must be answered with `reannounce`.
        try dealer.send([tagV1, Array("heartbeat".utf8), []])
        report.reannounceAfterJunk = try waitForType("reannounce", on: dealer, milliseconds: replyTimeoutMilliseconds)
        // A well-formed `ready` must be answered with `welcome`. The hostile client then goes silent with the
        // leases it may be given: the coordinator has to declare it dead and requeue them.
        // Like an attacker, it learns the coordinator's version and numerics fingerprint from the `refused`
        // answers (at most three tries).
        var version = "hostile", fingerprint = ""
        for _ in 0..<3 {
            let ready = #"{"credits": 1, "host": "hostile", "pid": 1, "slots": 1, "workerVersion": "\#(version)", "numericsFingerprint": "\#(fingerprint)"}"#
            try dealer.send([tagV1, Array("ready".utf8), Array(ready.utf8)])
            guard let answer = try waitForAnswer(["welcome", "refused"], on: dealer, milliseconds: replyTimeoutMilliseconds)
            else { break }
            if answer.type == "welcome" { report.welcomeAfterJunk = true; break }
            let reason = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?["reason"] as? String ?? ""
            if let match = reason.firstMatch(of: /coordinator's "([^"]*)"/) {
                version = String(match.1)
            } else if let match = reason.firstMatch(of: /coordinator's (nf1-[0-9a-f]+)/) {
                fingerprint = String(match.1)
            } else {
                break
            }
        }

        // 2. An oversized body (17 MiB > the 16 MiB limit of protocol.md) on a second connection: the coordinator may
        //    drop the message or the connection, but must keep serving everyone else.
        let big = try ZMQSocket(context: context, type: .dealer)
        defer { big.close() }
        try big.set(.sendTimeout(5000))
        try big.connect(endpoint)
        let body = [UInt8](repeating: UInt8(ascii: "7"), count: 17 << 20)
        try big.send([tagV1, Array("result".utf8), body])
        report.oversizedBytesSent = body.count
        // Give libzmq a moment to push the bytes out before the socket closes (LINGER is 0).
        _ = try? waitForType("never", on: big, milliseconds: 1000)
        return report
    }

    /// Reads messages for up to `milliseconds`; the first of one of `types` (type and body text), or nil.
    static func waitForAnswer(_ types: [String], on socket: ZMQSocket, milliseconds: Int) throws -> (type: String, body: String)? {
        let deadline = Deadline(seconds: Double(milliseconds) / 1000)
        let poller = ZMQPoller([socket])
        for _ in 0..<10_000 {
            let left = Int(deadline.remainingSeconds * 1000)
            if left <= 0 { return nil }
            guard try !poller.readable(timeoutMilliseconds: min(left, 200)).isEmpty else { continue }
            while let message = try socket.tryReceive() {
                guard message.count >= 3 else { continue }
                let type = String(decoding: message[1], as: UTF8.self)
                if types.contains(type) { return (type, String(decoding: message[2], as: UTF8.self)) }
            }
        }
        return nil
    }

    /// Reads messages for up to `milliseconds`; true as soon as one of message type `type` arrives.
    static func waitForType(_ type: String, on socket: ZMQSocket, milliseconds: Int) throws -> Bool {
        let deadline = Deadline(seconds: Double(milliseconds) / 1000)
        let poller = ZMQPoller([socket])
        for _ in 0..<10_000 {
            let left = Int(deadline.remainingSeconds * 1000)
            if left <= 0 { return false }
            guard try !poller.readable(timeoutMilliseconds: min(left, 200)).isEmpty else { continue }
            while let message = try socket.tryReceive() {
                if message.count >= 2, message[1] == Array(type.utf8) { return true }
            }
        }
        return false
    }
}

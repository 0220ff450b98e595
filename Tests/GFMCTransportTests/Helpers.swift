import Foundation
import GFMCTransport

/// Waits at most `milliseconds` for one message on `socket` (bounded; nil on timeout).
func receive(_ socket: ZMQSocket, within milliseconds: Int) throws -> [[UInt8]]? {
    let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
    let poller = ZMQPoller([socket])
    while true {
        let left = Int(deadline.timeIntervalSinceNow * 1000)
        if left <= 0 { return try socket.tryReceive() }
        if try !poller.readable(timeoutMilliseconds: left).isEmpty, let message = try socket.tryReceive() {
            return message
        }
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A ROUTER bound to an ephemeral loopback port, with its actual endpoint.
func boundRouter(_ context: ZMQContext, options: [ZMQSocketOption] = []) throws -> (ZMQSocket, String) {
    let router = try ZMQSocket(context: context, type: .router)
    for option in options { try router.set(option) }
    try router.bind("tcp://127.0.0.1:0")
    return (router, try router.lastEndpoint)
}

func connectedDealer(_ context: ZMQContext, to endpoint: String, options: [ZMQSocketOption] = []) throws -> ZMQSocket {
    let dealer = try ZMQSocket(context: context, type: .dealer)
    for option in options { try dealer.set(option) }
    try dealer.connect(endpoint)
    return dealer
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-transport-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

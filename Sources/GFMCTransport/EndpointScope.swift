/// Whether a ZeroMQ endpoint's traffic stays on this machine.
///
/// Plaintext (no CURVE) is acceptable only where no other machine can listen or connect, so the
/// classification errs on the side of `network`: anything not recognisably local is `network`.
public enum EndpointScope: Sendable, Equatable {
    /// Only processes on this machine can take part: `inproc://…`, `ipc://…`, and `tcp://` on
    /// `127.x.x.x`, `[::1]`, `[::ffff:127.x.x.x]` or `localhost`.
    case loopback
    /// Every other endpoint: `tcp://*:…`, `tcp://0.0.0.0:…`, any other address, host or interface
    /// name (even `lo`), a malformed endpoint, and every other transport (`pgm`, `udp`, `ws`, …).
    case network

    /// Classifies `endpoint` as written on a command line (`bind` or `connect` syntax). For
    /// `tcp://SOURCE;DESTINATION` (connect with a source address) the destination decides. Pure.
    public init(endpoint: String) {
        guard let separator = endpoint.range(of: "://") else {
            self = .network
            return
        }
        let transport = endpoint[..<separator.lowerBound].lowercased()
        let address = String(endpoint[separator.upperBound...])
        switch transport {
        case "inproc", "ipc":
            self = .loopback
        case "tcp":
            let destination = address.split(separator: ";", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            self = EndpointScope.isLoopbackHost(EndpointScope.host(ofTCPAddress: destination)) ? .loopback : .network
        default:
            self = .network
        }
    }

    /// The host part of `HOST:PORT` or `[IPV6]:PORT`; nil when there is no port separator.
    static func host(ofTCPAddress address: String) -> String? {
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { return nil }
            let rest = address[address.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return String(address[address.index(after: address.startIndex)..<close])
        }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return String(address[..<colon])
    }

    static func isLoopbackHost(_ host: String?) -> Bool {
        guard let host = host?.lowercased(), !host.isEmpty else { return false }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        if host.hasPrefix("::ffff:") { return isLoopbackIPv4(String(host.dropFirst(7))) }
        return isLoopbackIPv4(host)
    }

    /// Exactly four decimal octets (0…255, at most 3 digits each) with the first one 127.
    static func isLoopbackIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(part), value <= 255 else { return false }
        }
        return parts[0] == "127"
    }
}

/// Whether a process may use an endpoint without CURVE, and what it must print if so.
///
/// Plaintext is allowed silently on loopback; beyond loopback it is refused unless the user asked
/// for it explicitly (`--insecure`), in which case a warning is due at every start. Pure.
public enum PlaintextPolicy {
    public enum Role: Sendable {
        /// `gfmc coordinator --bind`.
        case bind
        /// `gfmc worker --connect`.
        case connect
    }

    public enum Verdict: Sendable, Equatable {
        /// CURVE is on, or the endpoint is loopback: nothing to say.
        case allowed
        /// Plaintext beyond loopback, explicitly accepted: print `warning`.
        case allowedInsecure(warning: String)
        /// Plaintext beyond loopback without `--insecure`: refuse with `reason` (it says how to make keys).
        case refused(reason: String)
    }

    public static func verdict(endpoint: String, role: Role, usesCurve: Bool, insecure: Bool) -> Verdict {
        if usesCurve || EndpointScope(endpoint: endpoint) == .loopback { return .allowed }
        switch (role, insecure) {
        case (.bind, true):
            return .allowedInsecure(warning: "--insecure: serving \(endpoint) in plaintext without authentication; anyone who can "
                                    + "reach it can read the study, take tasks and submit results")
        case (.connect, true):
            return .allowedInsecure(warning: "--insecure: talking to \(endpoint) in plaintext without authentication; anyone on "
                                    + "the path can read and alter the traffic or pose as the coordinator")
        case (.bind, false):
            return .refused(reason: "refusing to bind \(endpoint) without CURVE: plaintext is allowed only on loopback "
                            + "(tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, ipc://, inproc://). "
                            + "Make keys with `gfmc keygen --out coordinator` and `gfmc keygen --out worker-NAME` per worker, "
                            + "then pass --curve-secret-key coordinator.key --authorized-keys DIR (holding the workers' .pub "
                            + "files); or pass --insecure to serve plaintext anyway")
        case (.connect, false):
            return .refused(reason: "refusing to connect to \(endpoint) without CURVE: plaintext is allowed only on loopback "
                            + "(tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, ipc://, inproc://). "
                            + "Make this worker's keys with `gfmc keygen --out worker-NAME` (its .pub goes into the "
                            + "coordinator's --authorized-keys), then pass --curve-server-key coordinator.pub "
                            + "--curve-secret-key worker-NAME.key; or pass --insecure to connect in plaintext anyway")
        }
    }
}

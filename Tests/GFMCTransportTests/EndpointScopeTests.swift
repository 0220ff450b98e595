import Testing
import GFMCTransport

@Suite struct EndpointScopeTests {
    @Test(arguments: [
        "tcp://127.0.0.1:5555", "tcp://127.0.0.1:0", "tcp://127.1.2.3:80", "tcp://127.255.255.255:1",
        "tcp://localhost:5555", "TCP://LocalHost:5555", "tcp://[::1]:5555", "tcp://[0:0:0:0:0:0:0:1]:9",
        "tcp://[::ffff:127.0.0.1]:5555", "ipc:///tmp/gfmc.sock", "ipc://@abstract", "inproc://workers",
        "tcp://10.0.0.5:0;127.0.0.1:5555",
    ])
    func loopbackEndpoints(_ endpoint: String) {
        #expect(EndpointScope(endpoint: endpoint) == .loopback, "\(endpoint)")
    }

    @Test(arguments: [
        "tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://[::]:5555", "tcp://10.77.0.1:5555", "tcp://192.168.1.2:5555",
        "tcp://eth0:5555", "tcp://lo:5555", "tcp://coordinator.example:5555", "tcp://128.0.0.1:5555",
        "tcp://1127.0.0.1:5555", "tcp://127.0.0.256:5555", "tcp://127.0.0:5555", "tcp://127.0.0.1.5:5555",
        "tcp://localhost.evil.example:5555", "tcp://127.0.0.1", "tcp://[::1]", "tcp://[::1:5555",
        "tcp://[::ffff:10.0.0.1]:5555", "tcp://127.0.0.1:0;10.0.0.1:5555", "pgm://eth0;239.192.1.1:5555",
        "epgm://127.0.0.1;239.192.1.1:5555", "udp://127.0.0.1:5555", "ws://127.0.0.1:5555", "127.0.0.1:5555", "",
        "tcp://", "tcp://:5555", "tcp://١٢٧.0.0.1:5555",
    ])
    func networkEndpoints(_ endpoint: String) {
        #expect(EndpointScope(endpoint: endpoint) == .network, "\(endpoint)")
    }

    @Test func policyAllowsCurveAnywhereAndPlaintextOnLoopback() {
        for role in [PlaintextPolicy.Role.bind, .connect] {
            #expect(PlaintextPolicy.verdict(endpoint: "tcp://*:5555", role: role, usesCurve: true, insecure: false) == .allowed)
            #expect(PlaintextPolicy.verdict(endpoint: "tcp://127.0.0.1:5555", role: role, usesCurve: false,
                                            insecure: false) == .allowed)
            // --insecure on loopback changes nothing and warns about nothing.
            #expect(PlaintextPolicy.verdict(endpoint: "ipc:///tmp/x", role: role, usesCurve: false,
                                            insecure: true) == .allowed)
        }
    }

    @Test func policyRefusesPlaintextBeyondLoopbackSayingHowToMakeKeys() {
        let bind = PlaintextPolicy.verdict(endpoint: "tcp://*:5555", role: .bind, usesCurve: false, insecure: false)
        guard case .refused(let reason) = bind else { Issue.record("bind not refused: \(bind)"); return }
        for text in ["tcp://*:5555", "gfmc keygen --out", "--curve-secret-key", "--authorized-keys", "--insecure"] {
            #expect(reason.contains(text), "\(reason)")
        }
        let connect = PlaintextPolicy.verdict(endpoint: "tcp://10.0.0.1:5555", role: .connect, usesCurve: false,
                                              insecure: false)
        guard case .refused(let why) = connect else { Issue.record("connect not refused: \(connect)"); return }
        for text in ["tcp://10.0.0.1:5555", "gfmc keygen --out", "--curve-server-key", "--curve-secret-key", "--insecure"] {
            #expect(why.contains(text), "\(why)")
        }
    }

    @Test func insecureBeyondLoopbackIsAllowedWithAWarningNamingTheEndpoint() {
        for role in [PlaintextPolicy.Role.bind, .connect] {
            let verdict = PlaintextPolicy.verdict(endpoint: "tcp://*:7000", role: role, usesCurve: false, insecure: true)
            guard case .allowedInsecure(let warning) = verdict else { Issue.record("\(verdict)"); continue }
            #expect(warning.contains("tcp://*:7000") && warning.contains("plaintext"), "\(warning)")
        }
    }
}

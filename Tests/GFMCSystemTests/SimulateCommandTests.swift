import Foundation
import GFMCApplication
import GFMCCommandLine
import Testing

@Suite("gfmc simulate")
struct SimulateCommandTests {
    @Test("--json prints every field, the same run for the same seed, and exit 0 when the invariants hold")
    func json() throws {
        var outputs: [[String: Any]] = []
        for _ in 0..<2 {
            let (context, capture) = CommandContext.capturing()
            let status = GFMCMain.run(arguments: ["simulate", "--workers", "3", "--trials", "500", "--seed", "11", "--json"],
                                      context: context)
            #expect(status == 0, "\(capture.output)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(capture.output.utf8)) as? [String: Any])
            outputs.append(object)
        }
        for key in ["workers", "trials", "trialsPersisted", "crashes", "partitions", "duplicatesDelivered", "messages",
                    "invariantsHold", "wallSeconds"] {
            #expect(outputs[0][key] != nil, "missing \(key)")
        }
        #expect(outputs[0]["trialsPersisted"] as? Int == 500 && outputs[0]["invariantsHold"] as? Bool == true)
        #expect(outputs[0]["messages"] as? Int == outputs[1]["messages"] as? Int)
        #expect(outputs[0]["simulatedSeconds"] as? Double == outputs[1]["simulatedSeconds"] as? Double)
    }

    @Test("--workers 0 is a usage error naming the option")
    func badWorkers() {
        let (context, capture) = CommandContext.capturing()
        let status = GFMCMain.run(arguments: ["simulate", "--workers", "0"], context: context)
        #expect(status == 64)
        #expect(capture.error.contains("--workers"), "\(capture.error)")
    }
}

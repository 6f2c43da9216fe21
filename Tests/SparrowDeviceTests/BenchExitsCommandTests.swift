import Foundation
import SparrowTestSupport
import Testing

/// `sparrow bench-exits` on the self-distilled multi-exit digits model: calibrated exits save at
/// least 40 % of the MACs with at most 1 point of top-1 lost on the held-out test images, and
/// the command says so; a model without exits is refused with a message.
@Suite struct BenchExitsCommandTests {
    @Test func multiExitModelMeetsTheTarget() throws {
        let sparrow = try sparrowExecutable()
        func d(_ name: String) -> String { TestFixtures.digits(name) }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("me.sparrow").path
        let convert = try runTool([sparrow, "convert", d("digits_multiexit_sd.onnx"), "-o", model,
                                   "--calibration", d("digits_calib.npy"), "--exit", "exit1", "--exit", "exit2",
                                   "--exit", "final", "--calibrate-exits", d("digits_val_x.npy"), d("digits_val_y.npy"),
                                   "--accuracy-budget", "1"])
        #expect(convert.exitCode == 0, "\(convert.stderr)")
        let bench = try runTool([sparrow, "bench-exits", model, "--input", d("digits_test_x.npy"),
                                 "--labels", d("digits_test_y.npy"), "--repeats", "1"])
        #expect(bench.exitCode == 0, "\(bench.stderr)")
        let lines = bench.stdout.split(separator: "\n").map(String.init)
        let full = try #require(lines.first { $0.hasPrefix("final only") }).split(separator: " ").map(String.init)
        let exits = try #require(lines.first { $0.hasPrefix("with exits") }).split(separator: " ").map(String.init)
        // Columns after the two-word mode name: top-1 %, avg MACs, ms/sample.
        let fullAccuracy = try #require(Double(full[2])), exitAccuracy = try #require(Double(exits[2]))
        let fullMacs = try #require(Double(full[3])), exitMacs = try #require(Double(exits[3]))
        #expect(fullMacs == 504_832, "full depth runs every operator")
        #expect(exitMacs <= 0.6 * fullMacs, "at least 40 % fewer MACs: \(exitMacs) vs \(fullMacs)")
        #expect(fullAccuracy - exitAccuracy <= 1.0, "top-1 \(exitAccuracy) vs \(fullAccuracy)")
        #expect(bench.stdout.contains("target (>= 40 % fewer MACs, <= 1 point lost): met"))

        let noExits = directory.appendingPathComponent("cnn.sparrow").path
        _ = try runTool([sparrow, "convert", d("digits_cnn.onnx"), "-o", noExits, "--calibration", d("digits_calib.npy")])
        let refused = try runTool([sparrow, "bench-exits", noExits, "--input", d("digits_test_x.npy"),
                                   "--labels", d("digits_test_y.npy")])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("has no early exits"), "\(refused.stderr)")
    }
}

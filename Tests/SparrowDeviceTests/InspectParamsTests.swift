import Foundation
import SparrowTestSupport
import Testing

/// `sparrow inspect` prints each operator's parameters by name, read through the typed records,
/// not as raw words. Expected values come from the ONNX model's own attributes
/// (Tests/Fixtures/digits/make_digits.py: stem/dw/pw 3×3 pad 1 or 1×1, down 3×3 stride 2 pad 1,
/// MaxPool 2×2 stride 2).
@Suite struct InspectParamsTests {
    @Test func operatorParametersAreNamed() throws {
        let sparrow = try sparrowExecutable()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparrow-inspect-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("digits.sparrow").path
        let converted = try runTool([sparrow, "convert", TestFixtures.digits("digits_cnn.onnx"),
                                     "--calibration", TestFixtures.digits("digits_calib.npy"), "-o", model, "--no-packed-weights"])
        #expect(converted.exitCode == 0, "\(converted.stderr)")
        let r = try runTool([sparrow, "inspect", model])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        /// The parameter line printed under the operator whose name is `op`.
        func params(_ op: String) -> String? {
            guard let i = lines.firstIndex(where: { $0.contains("'\(op)'") }), i + 1 < lines.count else { return nil }
            return lines[i + 1].trimmingCharacters(in: .whitespaces)
        }
        #expect(params("/down/Conv") == "stride 2×2, dilation 1×1, pads t1 l1 b1 r1, no clamp")
        #expect(params("/pw/Conv") == "stride 1×1, dilation 1×1, pads t0 l0 b0 r0, no clamp")
        #expect(params("/dw/Conv")?.hasSuffix("depth multiplier 1") == true)
        #expect(params("/pool/MaxPool") == "window 2×2, stride 2×2, pads t0 l0 b0 r0, no clamp")
        #expect(params("to_nhwc_input") == "output axes take input axes [n, w, c, h]")   // NCHW → NHWC
        // Add: three rescales, each shown as the real factor m · 2^(shift − 31) next to its pair.
        let add = try #require(params("/Add"))
        #expect(add.hasPrefix("left shift 20, input 1 ×"))
        let pair = try Regex(#"×([0-9.e+-]+) \(m (\d+), shift (-?\d+)\)"#, as: (Substring, Substring, Substring, Substring).self)
        let pairs = add.matches(of: pair)
        #expect(pairs.count == 3)
        for p in pairs {
            let shown = Double(p.output.1)!, m = Double(p.output.2)!, shift = Double(p.output.3)!
            #expect(abs(shown - m * pow(2, shift - 31)) <= 1e-5 * shown, "\(add)")
        }
        #expect(!r.stdout.contains("params: ["), "no raw parameter words")
    }

    /// The packed operators (the default conversion, here for the default board pi4b: GEMM layout
    /// NR 8 KR 16) print the same geometry from their own records.
    @Test func packedOperatorParametersAreNamed() throws {
        let sparrow = try sparrowExecutable()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparrow-inspect-packed-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("digits.sparrow").path
        let converted = try runTool([sparrow, "convert", TestFixtures.digits("digits_cnn.onnx"),
                                     "--calibration", TestFixtures.digits("digits_calib.npy"), "-o", model])
        #expect(converted.exitCode == 0, "\(converted.stderr)")
        let r = try runTool([sparrow, "inspect", model])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func params(_ op: String) -> String? {
            guard let i = lines.firstIndex(where: { $0.contains("'\(op)'") }), i + 1 < lines.count else { return nil }
            return lines[i + 1].trimmingCharacters(in: .whitespaces)
        }
        #expect(params("/down/Conv") == "kernel 3×3, stride 2×2, dilation 1×1, pads t1 l1 b1 r1, im2col + packed NR 8 KR 16, no clamp")
        #expect(params("/dw/Conv")?.hasPrefix("3×3 stride 1, pads t1 l1 b1 r1, packed in groups of 16 channels, ") == true)
        #expect(params("/pw/Conv")?.contains(", packed NR 8 KR 16, no clamp") == true)
    }
}

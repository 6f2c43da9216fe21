// `TFLiteConversion` on the int8 fixtures of Tests/Fixtures/tflite: every fixture whose operators
// Sparrow converts is run on LiteRT's golden inputs and must reproduce LiteRT's reference-kernel
// (BUILTIN_REF) outputs byte for byte; the others must name every operator they lack at once.
import Foundation
import XCTest
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowTFLite

final class TFLiteConversionTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tflite")

    static func path(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    /// Converts fixture `stem`, runs every golden sample and returns (equal bytes, total bytes)
    /// over all outputs.
    func compareWithLiteRT(_ stem: String) throws -> (equal: Int, total: Int) {
        let lowered = try TFLiteConversion.convert(path: Self.path("models/\(stem).tflite"))
        let model = try HostModel(bytes: lowered.bytes)
        let inputs = try (0..<model.model.inputCount).map { i in
            try NPYArray.read(path: Self.path("golden/\(stem).in\(i).npy"))
        }
        let outputs = try (0..<model.model.outputCount).map { o in
            try NPYArray.read(path: Self.path("golden/\(stem).out\(o).npy"))
        }
        let samples = inputs[0].shape[0]
        var equal = 0, total = 0
        for s in 0..<samples {
            for (i, x) in inputs.enumerated() {
                let size = x.data.count / samples
                model.setInput(i, Array(x.data[(s * size)..<((s + 1) * size)]))
            }
            _ = model.invoke()
            for (o, y) in outputs.enumerated() {
                let size = y.data.count / samples
                let got = model.output(o, as: UInt8.self)
                XCTAssertEqual(got.count, size, "\(stem) output \(o): size")
                let want = y.data[(s * size)..<((s + 1) * size)]
                for (a, b) in zip(got, want) where a == b { equal += 1 }
                total += size
            }
        }
        return (equal, total)
    }

    func testInt8FixturesAreBitExactWithLiteRT() throws {
        var report: [String] = []
        for stem in ["conv", "fully_connected", "pooling", "activations", "prelu", "concat_relu", "binary_broadcast", "uint8_io", "float_io", "mobilenet_v1_025_96",
                     "binary", "transpose_conv", "resize", "arg_max", "shape"] {
            let r = try compareWithLiteRT(stem + ".int8")
            report.append("\(stem): \(r.equal)/\(r.total)")
            XCTAssertGreaterThan(r.total, 0, stem)
            XCTAssertEqual(r.equal, r.total, "\(stem): \(r.total - r.equal) output bytes differ from LiteRT BUILTIN_REF")
        }
        print("TFLite int8 fixtures, bytes equal to LiteRT BUILTIN_REF: " + report.joined(separator: ", "))
    }

    /// `shape`'s MEAN over H alone is Sparrow's Mean over a zero-copy view, and its float32
    /// RESHAPE and STRIDED_SLICE after a DEQUANTIZE run on the int8 codes with the DEQUANTIZE
    /// moved after them (TFLiteDequantizeSinking): the bit-exact test above covers its bytes;
    /// here, that the float outputs really are Dequantize operators at the end.
    func testShapeFixtureMovesDequantizeAfterDataMovement() throws {
        let lowered = try TFLiteConversion.convert(path: Self.path("models/shape.int8.tflite"))
        XCTAssertEqual(lowered.opCounts["Dequantize"], 2)
        XCTAssertEqual(lowered.opCounts["Slice"], 1)
        XCTAssertEqual(lowered.opCounts["Mean"], 1)
    }

    /// tf.argmax's default int64 output: Sparrow writes the same indices as int32.
    func testArgMaxInt64OutputIsWrittenAsInt32() throws {
        let lowered = try TFLiteConversion.convert(path: Self.path("models/arg_max_int64.int8.tflite"))
        let model = try HostModel(bytes: lowered.bytes)
        let x = try NPYArray.read(path: Self.path("golden/arg_max_int64.int8.in0.npy"))
        let y = try NPYArray.read(path: Self.path("golden/arg_max_int64.int8.out0.npy"))
        XCTAssertEqual(y.dtype, .int64)
        let samples = x.shape[0], size = x.data.count / samples, count = y.shape.dropFirst().reduce(1, *)
        var equal = 0
        for s in 0..<samples {
            model.setInput(0, Array(x.data[(s * size)..<((s + 1) * size)]))
            _ = model.invoke()
            let got = model.output(0, as: Int32.self)
            XCTAssertEqual(got.count, count)
            for i in 0..<count {
                let o = 8 * (s * count + i)
                let want = (0..<8).reduce(Int64(0)) { $0 | Int64(y.data[o + $1]) << (8 * Int64($1)) }
                if i < got.count, Int64(got[i]) == want { equal += 1 }
            }
        }
        XCTAssertEqual(equal, samples * count, "ARG_MAX indices equal to LiteRT BUILTIN_REF")
        print("arg_max_int64: \(equal)/\(samples * count) indices equal to LiteRT BUILTIN_REF")
    }

    /// Custom operators: MediaPipe's are recognised by name and described, any other is named;
    /// both paths list them with every other operator they lack. (The fixture's operator codes
    /// are renamed in memory: TF's converter writes no custom operators.)
    func testCustomOperatorsAreNamed() throws {
        for path in ["models/pooling.int8.tflite", "models/pooling.float.tflite"] {
            var model = try TFLiteModel.load(path: Self.path(path))
            let pool = try XCTUnwrap(model.operatorCodes.firstIndex { $0.builtin.name == "MAX_POOL_2D" })
            let mean = try XCTUnwrap(model.operatorCodes.firstIndex { $0.builtin.name == "MEAN" })
            // The float path imports MaxPoolingWithArgmax2D: name one it lacks there.
            let mediaPipe = path.contains("float") ? "TransformTensorBilinear" : "MaxPoolingWithArgmax2D"
            model.operatorCodes[pool].builtin = TFLiteBuiltinOperator(rawValue: 32)
            model.operatorCodes[pool].customCode = mediaPipe
            model.operatorCodes[mean].builtin = TFLiteBuiltinOperator(rawValue: 32)
            model.operatorCodes[mean].customCode = "MyVendorOp"
            let error: Error
            do {
                if path.contains("float") {
                    let options = ConversionOptions(calibration: .samples([NPYArray(floats: [Float](repeating: 0, count: 324), shape: [1, 9, 9, 4])]))
                    _ = try TFLiteConversion.convertFloat(model, options: options)
                } else {
                    _ = try TFLiteConversion.convert(model)
                }
                XCTFail("\(path) converted with custom operators")
                continue
            } catch let e { error = e }
            let text = "\(error)"
            XCTAssertTrue(text.contains("CUSTOM '\(mediaPipe)' (operator"), text)
            XCTAssertTrue(text.contains("CUSTOM 'MyVendorOp' (operators"), text)
            XCTAssertTrue(text.contains("MediaPipe custom operators, not supported by Sparrow"), text)
            XCTAssertTrue(text.contains(path.contains("float") ? "TransformTensorBilinear (bilinear sampling"
                                        : "MaxPoolingWithArgmax2D (max pooling that also outputs the argmax positions)"), text)
            XCTAssertTrue(text.contains("Custom operators are code linked into the runtime"), text)
        }
    }

    /// CONCATENATION whose input quantization differs from the output's (concat_rescaled, made by
    /// make_concat_rescaled.py): LiteRT's int8 kernel refuses it at Prepare (recorded in the
    /// manifest), so Sparrow refuses it too, saying so, rather than inventing bytes.
    func testConcatenationWithDifferingScalesIsRefusedAsLiteRTRefusesIt() throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.path("manifest.json"))))
        let record = try XCTUnwrap((manifest as? [String: Any])?["concat_rescaled"] as? [String: Any])
        let litert = try XCTUnwrap(record["litert_allocate_tensors"] as? [String: String])
        XCTAssertTrue(litert["reference"]?.contains("t->params.scale != output->params.scale") == true, "\(litert)")
        XCTAssertThrowsError(try TFLiteConversion.convert(path: Self.path("models/concat_rescaled.int8.tflite"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("CONCATENATION"), text)
            XCTAssertTrue(text.contains("input 0 has"), text)
            XCTAssertTrue(text.contains("LiteRT's int8 CONCATENATION refuses this too"), text)
        }
    }

    /// `--input-type int8 --output-type int8` on float_io (float32 I/O around an int8 body): the
    /// edge QUANTIZE and DEQUANTIZE are dropped, the file takes and gives int8 codes under the
    /// model's input/output names. Fed LiteRT's QUANTIZE of the golden inputs (float32 x / s,
    /// ties away from zero, + zp), its codes dequantized as LiteRT's DEQUANTIZE ((q − zp)·s in
    /// float32) equal LiteRT's float32 output bit for bit. The opposite requests are refused.
    func testInt8BoundaryDropsTheEdgeQuantizeAndDequantize() throws {
        var boundary = ModelBoundary()
        boundary.inputType[""] = .int8
        boundary.outputType[""] = .int8
        boundary.inputLayout[""] = .nhwc
        let tflite = try TFLiteModel.load(path: Self.path("models/float_io.int8.tflite"))
        let lowered = try TFLiteConversion.convert(tflite, boundary: boundary)
        XCTAssertNil(lowered.opCounts["Quantize"])
        XCTAssertNil(lowered.opCounts["Dequantize"])
        let model = try HostModel(bytes: lowered.bytes)
        let m = model.model
        let (xq, yq) = (m.tensor(m.graphInput(0)), m.tensor(m.graphOutput(0)))
        XCTAssertEqual(xq.dtype, .int8)
        XCTAssertEqual(yq.dtype, .int8)
        XCTAssertEqual(String(decoding: UnsafeRawBufferPointer(m.tensorName(m.graphOutput(0))), as: UTF8.self),
                       tflite.graph.tensors[tflite.graph.outputs[0]].name)
        let x = try NPYArray.read(path: Self.path("golden/float_io.int8.in0.npy")).floats()!
        let want = try NPYArray.read(path: Self.path("golden/float_io.int8.out0.npy")).floats()!
        let samples = 48, inSize = x.count / samples, outSize = want.count / samples
        var equal = 0
        for s in 0..<samples {
            let codes = x[(s * inSize)..<((s + 1) * inSize)].map { v -> Int8 in
                let r = (v / xq.scale).rounded(.toNearestOrAwayFromZero) + Float(xq.zeroPoint)
                return Int8(max(-128, min(127, r)))
            }
            model.setInput(0, codes)
            _ = model.invoke()
            let got = model.output(0, as: Int8.self).map { Float(Int32($0) - yq.zeroPoint) * yq.scale }
            for i in 0..<outSize where got[i].bitPattern == want[s * outSize + i].bitPattern { equal += 1 }
        }
        XCTAssertEqual(equal, want.count, "float_io with int8 edges: \(equal) / \(want.count) float32 outputs bit-equal to LiteRT's")

        var wrong = ModelBoundary()
        wrong.inputType[""] = .float32
        XCTAssertThrowsError(try TFLiteConversion.convert(try TFLiteModel.load(path: Self.path("models/conv.int8.tflite")),
                                                          boundary: wrong)) { error in
            XCTAssertTrue("\(error)".contains("--input-type float32: input 'input_0' is INT8 in the model"), "\(error)")
        }
        wrong = ModelBoundary()
        wrong.outputType["no_such_output"] = .int8
        XCTAssertThrowsError(try TFLiteConversion.convert(tflite, boundary: wrong)) { error in
            XCTAssertTrue("\(error)".contains("the model has no output 'no_such_output'"), "\(error)")
        }
        // int8 on an int8 model and layouts (the model is NHWC already) change nothing.
        var same = ModelBoundary()
        same.inputType[""] = .int8
        same.outputLayout[""] = .onnx
        let conv = try TFLiteModel.load(path: Self.path("models/conv.int8.tflite"))
        XCTAssertEqual(try TFLiteConversion.convert(conv, boundary: same).bytes, try TFLiteConversion.convert(conv).bytes)
    }

    /// A float model (float32 input) is refused with the reason, not converted wrongly.
    func testFloatModelIsRefused() throws {
        XCTAssertThrowsError(try TFLiteConversion.convert(path: Self.path("models/conv.float.tflite"))) { error in
            XCTAssertTrue("\(error)".contains("graph input of type FLOAT32"), "\(error)")
        }
    }
}

/// Corrupted models: the reader or the converter rejects them with an error, or the result
/// passes the verifier (the converter's self-check) — never a trap.
final class TFLiteConversionRobustnessTests: XCTestCase {
    func testSeededCorruptionsNeverTrap() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        var outcomes = (converted: 0, rejected: 0)
        for stem in ["conv.int8", "prelu.int8", "fully_connected.int8", "binary_broadcast.int8", "uint8_io.int8",
                     "binary.int8", "transpose_conv.int8", "resize.int8", "arg_max.int8", "shape.int8", "arg_max_int64.int8"] {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: TFLiteConversionTests.path("models/\(stem).tflite"))))
            for _ in 0..<1000 {
                var bytes = original
                for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] ^= UInt8(1 << (next() % 8)) }
                do {
                    let lowered = try TFLiteConversion.convert(bytes: bytes)
                    XCTAssertNil(HostModel.verificationError(lowered.bytes), stem)
                    outcomes.converted += 1
                } catch {
                    XCTAssertFalse("\(error)".isEmpty)
                    outcomes.rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(outcomes.rejected, 0)
        print("TFLite corruptions: \(outcomes.converted) converted, \(outcomes.rejected) rejected")
    }
}

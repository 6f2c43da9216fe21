// The float .tflite path (TFLiteFloatImport → passes → calibration → int8): each float fixture is
// quantized with Sparrow's own calibration and its outputs compared with LiteRT's float outputs,
// side by side with TF's own full-int8 conversion of the same network on the same inputs
// (goldens by Tests/Fixtures/tflite/make_float_comparison.py).
import Foundation
import XCTest
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import SparrowTFLite

final class TFLiteFloatConversionTests: XCTestCase {
    static func path(_ relative: String) -> String { TFLiteConversionTests.path(relative) }

    /// 64 calibration samples uniform in [−1.5, 1.5), the distribution TF's converter was given.
    static func calibration(shape: [Int], seed: UInt64) -> NPYArray {
        var rng = SplitMix64(seed: seed)
        let shape = [64] + shape.dropFirst()
        return NPYArray(floats: rng.floats(shape.reduce(1, *), -1.5, 1.5), shape: shape)
    }

    struct Errors { var sparrowMean = 0.0, sparrowMax = 0.0, tfMean = 0.0, tfMax = 0.0, reference = 0.0 }

    /// Converts `models/STEM.float.tflite` (or `file`) and compares all outputs on the evaluation
    /// inputs: mean and max |error| against LiteRT float, for Sparrow and for TF's int8 model,
    /// and the largest |reference| value.
    func compare(_ stem: String, file: String? = nil, float reference: String? = nil) throws -> Errors {
        let tflite = try TFLiteModel.load(path: Self.path(file ?? "models/\(stem).float.tflite"))
        let inputShape = tflite.graph.tensors[tflite.graph.inputs[0]].shape
        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: inputShape, seed: 20261206)]))
        options.batch = inputShape[0]
        let result = try TFLiteConversion.convertFloat(tflite, options: options)
        let model = try HostModel(bytes: result.bytes)
        let x = try NPYArray.read(path: Self.path("golden/\(stem).eval.in0.npy"))
        let samples = x.shape[0], size = inputShape.reduce(1, *)
        let floats = x.floats()!
        var e = Errors(), count = 0
        for o in 0..<model.model.outputCount {
            let want = try NPYArray.read(path: Self.path("golden/\(reference ?? stem).eval.float.out\(o).npy")).floats()!
            let tf = try NPYArray.read(path: Self.path("golden/\(stem).eval.tfint8.out\(o).npy")).floats()!
            let per = want.count / samples
            for s in 0..<samples {
                model.setInput(0, Array(floats[(s * size)..<((s + 1) * size)]))
                _ = model.invoke()
                let got = model.output(o, as: Float.self)
                XCTAssertEqual(got.count, per, "\(stem) output \(o)")
                for i in 0..<min(per, got.count) {
                    let r = Double(want[s * per + i])
                    let a = abs(Double(got[i]) - r), b = abs(Double(tf[s * per + i]) - r)
                    e.sparrowMean += a; e.tfMean += b; count += 1
                    e.sparrowMax = max(e.sparrowMax, a); e.tfMax = max(e.tfMax, b); e.reference = max(e.reference, abs(r))
                }
            }
        }
        e.sparrowMean /= Double(max(count, 1)); e.tfMean /= Double(max(count, 1))
        return e
    }

    func testFloatFixturesQuantizeAsWellAsTFsOwnInt8Conversion() throws {
        var lines: [String] = []
        for stem in ["conv", "fully_connected", "transpose_conv", "pooling", "activations", "prelu", "shape", "resize",
                     "concat_relu", "mobilenet_v1_025_96"] {
            let e = try compare(stem)
            lines.append(String(format: "%-20@ mean |err| sparrow %.5f tf-int8 %.5f   max sparrow %.4f tf-int8 %.4f   (|ref| ≤ %.3f)",
                                stem as NSString, e.sparrowMean, e.tfMean, e.sparrowMax, e.tfMax, e.reference))
            // Both quantize to int8 with 64 calibration samples of one distribution; Sparrow's
            // rounding choices differ from TF's, so "as well" means within twice TF's error
            // (and a floor for outputs TF gets almost exactly).
            XCTAssertLessThanOrEqual(e.sparrowMean, max(2 * e.tfMean, 0.002 * e.reference), stem)
        }
        print("float .tflite → Sparrow int8 vs TF int8, against LiteRT float:\n" + lines.joined(separator: "\n"))
    }

    /// The import itself, before quantization: Sparrow's float executor on the imported graph
    /// reproduces LiteRT's float outputs (padding, resize coordinates, strided-slice bounds,
    /// transposed-conv padding, float16 weights).
    func testFloatImportMatchesLiteRTFloat() throws {
        var lines: [String] = []
        for (stem, file) in [("conv", "conv.float"), ("conv", "conv.float16"), ("fully_connected", "fully_connected.float"),
                             ("transpose_conv", "transpose_conv.float"), ("pooling", "pooling.float"),
                             ("activations", "activations.float"), ("prelu", "prelu.float"), ("shape", "shape.float"),
                             ("resize", "resize.float"), ("concat_relu", "concat_relu.float"),
                             ("mobilenet_v1_025_96", "mobilenet_v1_025_96.float")] {
            let graph = Passes.optimize(try TFLiteFloatImport.importGraph(try TFLiteModel.load(path: Self.path("models/\(file).tflite"))))
            let x = try NPYArray.read(path: Self.path("golden/\(stem).eval.in0.npy"))
            let samples = x.shape[0]
            let outputs = try FloatExecutor(graph: graph).run(onnxLayoutInputs: [x.floats()!], batch: samples)
            let reference = file == "conv.float16" ? "conv.float16" : stem
            var worst = 0.0, scale = 0.0
            for (o, got) in outputs.enumerated() {
                let want = try NPYArray.read(path: Self.path("golden/\(reference).eval.float.out\(o).npy")).floats()!
                XCTAssertEqual(got.count, want.count, "\(file) output \(o)")
                for (a, b) in zip(got, want) { worst = max(worst, Double(abs(a - b))); scale = max(scale, Double(abs(b))) }
            }
            lines.append(String(format: "%@: max |float executor − LiteRT float| %.2e (|ref| ≤ %.2f)", file, worst, scale))
            XCTAssertLessThanOrEqual(worst, 1e-5 * max(scale, 1), file)
        }
        print(lines.joined(separator: "\n"))
    }

    /// MediaPipe's Convolution2DTransposeBias (SAME then VALID), against numpy following
    /// MediaPipe's kernel (LiteRT cannot run it without MediaPipe): the imported graph on the
    /// float executor, then the calibrated int8 model.
    func testMediaPipeConvolution2DTransposeBias() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/mediapipe_transpose_conv_bias.float.tflite"))
        let x = try NPYArray.read(path: Self.path("golden/transpose_conv.eval.in0.npy"))
        let want = try NPYArray.read(path: Self.path("golden/mediapipe_transpose_conv_bias.eval.float.out0.npy")).floats()!
        let samples = x.shape[0]
        let graph = Passes.optimize(try TFLiteFloatImport.importGraph(tflite))
        XCTAssertEqual(graph.opCounts["TransposeConv2D"], 2)
        let got = try FloatExecutor(graph: graph).run(onnxLayoutInputs: [x.floats()!], batch: samples)[0]
        XCTAssertEqual(got.count, want.count)
        let scale = want.map { abs(Double($0)) }.max() ?? 1
        let floatError = zip(got, want).map { abs(Double($0) - Double($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(floatError, 1e-5 * max(scale, 1))
        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 5, 5, 4], seed: 20261206)]))
        options.batch = 1
        let model = try HostModel(bytes: try TFLiteConversion.convertFloat(tflite, options: options).bytes)
        let size = 5 * 5 * 4, per = want.count / samples, floats = x.floats()!
        var sum = 0.0
        for s in 0..<samples {
            model.setInput(0, Array(floats[(s * size)..<((s + 1) * size)]))
            _ = model.invoke()
            for (i, v) in model.output(0, as: Float.self).enumerated() { sum += abs(Double(v) - Double(want[s * per + i])) }
        }
        let mean = sum / Double(want.count)
        print(String(format: "Convolution2DTransposeBias: float import max |err| %.2e, int8 mean |err| %.5f (|ref| ≤ %.2f)",
                     floatError, mean, scale))
        XCTAssertLessThanOrEqual(mean, 0.01 * scale)
    }

    /// MediaPipe's MaxPoolingWithArgmax2D and MaxUnpooling2D (2×2/2 with RELU, then 3×3/2 SAME
    /// into a 12×12 unpooling), against numpy following MediaPipe's kernels
    /// (make_mediapipe_unpooling.py; LiteRT cannot run them): the import on the float executor,
    /// then the calibrated int8 model (MaxPool, MaxPoolArgmax, MaxUnpool).
    func testMediaPipeMaxPoolingWithArgmaxAndUnpooling() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/mediapipe_unpooling.float.tflite"))
        let x = try NPYArray.read(path: Self.path("golden/mediapipe_unpooling.eval.in0.npy"))
        let want = try (0..<2).map { try NPYArray.read(path: Self.path("golden/mediapipe_unpooling.eval.float.out\($0).npy")).floats()! }
        let samples = x.shape[0], floats = x.floats()!, size = 8 * 8 * 3
        let graph = Passes.optimize(try TFLiteFloatImport.importGraph(tflite))
        XCTAssertEqual(graph.opCounts["MaxPoolArgmax"], 2)
        XCTAssertEqual(graph.opCounts["MaxUnpool"], 2)
        let executed = try FloatExecutor(graph: graph).run(onnxLayoutInputs: [floats], batch: samples)
        var lines: [String] = []
        for o in 0..<2 {
            XCTAssertEqual(executed[o].count, want[o].count)
            let worst = zip(executed[o], want[o]).map { abs(Double($0) - Double($1)) }.max() ?? 0
            lines.append(String(format: "output %d: float import max |err| %.2e", o, worst))
            XCTAssertLessThanOrEqual(worst, 1e-5, "output \(o)")
        }
        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 8, 8, 3], seed: 20261206)]))
        options.batch = 1
        let result = try TFLiteConversion.convertFloat(tflite, options: options)
        XCTAssertEqual(result.summary.opCounts["MaxPoolArgmax"], 2)
        XCTAssertEqual(result.summary.opCounts["MaxUnpool"], 2)
        let model = try HostModel(bytes: result.bytes)
        var error = [0.0, 0.0], placed = [0, 0], nonzero = [0, 0]
        for s in 0..<samples {
            model.setInput(0, Array(floats[(s * size)..<((s + 1) * size)]))
            _ = model.invoke()
            for o in 0..<2 {
                let got = model.output(o, as: Float.self), per = want[o].count / samples
                XCTAssertEqual(got.count, per)
                for i in 0..<min(per, got.count) {
                    let r = want[o][s * per + i]
                    error[o] += abs(Double(got[i]) - Double(r))
                    // Where numpy placed a value, Sparrow placed one too (aside from ties of int8 codes in a
                    // window and values whose code is the zero point).
                    if r != 0 { nonzero[o] += 1; if got[i] != 0 { placed[o] += 1 } }
                }
            }
        }
        for o in 0..<2 {
            let mean = error[o] / Double(want[o].count), scale = want[o].map { abs(Double($0)) }.max() ?? 1
            lines.append(String(format: "output %d: int8 mean |err| %.5f (|ref| ≤ %.2f), %d / %d values placed where numpy put them",
                                o, mean, scale, placed[o], nonzero[o]))
            XCTAssertLessThanOrEqual(mean, 0.01 * scale, "output \(o)")
            XCTAssertGreaterThanOrEqual(placed[o] * 100, nonzero[o] * 95, "output \(o)")
        }
        print("MediaPipe MaxPoolingWithArgmax2D / MaxUnpooling2D:\n" + lines.joined(separator: "\n"))
    }

    /// float16 weights behind DEQUANTIZE import as the float32 constants they stand for.
    func testFloat16WeightsBehindDequantize() throws {
        let e = try compare("conv", file: "models/conv.float16.tflite", float: "conv.float16")
        print(String(format: "conv.float16: mean |err| %.5f (tf-int8 of the float32 model %.5f)", e.sparrowMean, e.tfMean))
        XCTAssertLessThanOrEqual(e.sparrowMean, max(2 * e.tfMean, 0.002 * e.reference))
    }

    /// Early exits by tensor name: an intermediate tensor becomes an exit output.
    func testExitByTensorName() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/fully_connected.float.tflite"))
        let fc1 = tflite.graph.tensors[tflite.graph.operators[1].outputs[0]].name
        let final = tflite.graph.tensors[tflite.graph.outputs[0]].name
        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 4, 4, 3], seed: 7)]))
        options.exits = ExitOptions(outputs: [fc1, final])
        let result = try TFLiteConversion.convertFloat(tflite, options: options)
        let model = try HostModel(bytes: result.bytes)
        XCTAssertEqual(model.model.exitCount, 2)
        options.exits = ExitOptions(outputs: ["no such tensor", final])
        XCTAssertThrowsError(try TFLiteConversion.convertFloat(tflite, options: options)) { error in
            XCTAssertTrue("\(error)".contains("no activation tensor of the model has that name"), "\(error)")
        }
    }

    /// `--prune` on a float .tflite: the FC layers are pruned before calibration, as for ONNX.
    func testPruningAppliesToFloatModels() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/fully_connected.float.tflite"))
        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 4, 4, 3], seed: 3)]))
        options.sparsity = SparsityOptions(prune: 0.5)
        let result = try TFLiteConversion.convertFloat(tflite, options: options)
        XCTAssertEqual(result.pruning.count, 2)
        for layer in result.pruning {
            XCTAssertEqual(layer.densityBefore, 1, accuracy: 0.01, layer.name)
            XCTAssertEqual(layer.densityAfter, 0.5, accuracy: 0.05, layer.name)
        }
        XCTAssertNil(HostModel.verificationError(result.bytes))
    }

    /// Corrupted float models: the reader or the float import rejects them with an error, or the
    /// converted file passes the verifier — never a trap. (100 per model here; a one-off run of
    /// 400 per model: 609 converted, 1 391 rejected.)
    func testSeededCorruptionsOfFloatModelsNeverTrap() throws {
        var rng = SplitMix64(seed: 0x7F1E)
        var outcomes = (converted: 0, rejected: 0)
        for stem in ["conv.float", "conv.float16", "shape.float", "resize.float", "transpose_conv.float", "float_ops.float",
                     "mediapipe_unpooling.float"] {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: Self.path("models/\(stem).tflite"))))
            for _ in 0..<100 {
                var bytes = original
                for _ in 0..<rng.int(1...4) { bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8)) }
                do {
                    let model = try TFLiteModel(bytes: bytes)
                    let shape = model.graph.inputs.first.map { model.graph.tensors[$0].shape } ?? []
                    guard TFLiteFloatImport.isFloatModel(model), shape.count == 4, shape.reduce(1, *) <= 1 << 12 else {
                        outcomes.rejected += 1
                        continue
                    }
                    let calibration = NPYArray(floats: rng.floats(2 * shape.dropFirst().reduce(1, *)), shape: [2] + shape.dropFirst())
                    var options = ConversionOptions(calibration: .samples([calibration]))
                    options.batch = shape[0]
                    let result = try TFLiteConversion.convertFloat(model, options: options)
                    XCTAssertNil(HostModel.verificationError(result.bytes), stem)
                    outcomes.converted += 1
                } catch {
                    XCTAssertFalse("\(error)".isEmpty)
                    outcomes.rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(outcomes.rejected, 0)
        XCTAssertGreaterThan(outcomes.converted, 0)
        print("TFLite float-path corruptions: \(outcomes.converted) converted, \(outcomes.rejected) rejected")
    }

    /// MAXIMUM, MINIMUM (a constant operand), DIV by a computed value and ARG_MAX (int32 graph
    /// output) of `float_ops` (make_float_ops.py): the import on the float executor reproduces
    /// LiteRT float; the calibrated int8 file is as close to it as TF's own int8 conversion.
    func testMaximumMinimumDivArgMax() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/float_ops.float.tflite"))
        let x = try NPYArray.read(path: Self.path("golden/float_ops.eval.in0.npy"))
        let samples = x.shape[0], size = 6 * 6 * 4, floats = x.floats()!
        let want = try (0..<3).map { o in try NPYArray.read(path: Self.path("golden/float_ops.eval.float.out\(o).npy")).floats()! }
        let tf = try (0..<3).map { o in try NPYArray.read(path: Self.path("golden/float_ops.eval.tfint8.out\(o).npy")).floats()! }
        let wantIndex = try NPYArray.read(path: Self.path("golden/float_ops.eval.float.out3.npy")).int32s()!
        let tfIndex = try NPYArray.read(path: Self.path("golden/float_ops.eval.tfint8.out3.npy")).int32s()!

        let graph = Passes.optimize(try TFLiteFloatImport.importGraph(tflite))
        XCTAssertEqual(graph.opCounts["Maximum"], 1)
        XCTAssertEqual(graph.opCounts["Minimum"], 1)
        XCTAssertEqual(graph.opCounts["ArgMax"], 1)
        let executed = try FloatExecutor(graph: graph).run(onnxLayoutInputs: [floats], batch: samples)
        for o in 0..<3 {
            XCTAssertEqual(executed[o].count, want[o].count)
            let worst = zip(executed[o], want[o]).map { abs(Double($0) - Double($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5, "output \(o)")
        }
        XCTAssertEqual(executed[3].map { Int32($0) }, wantIndex, "ARG_MAX indices on the float executor")

        var options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 6, 6, 4], seed: 20261206)]))
        options.batch = 1
        let model = try HostModel(bytes: try TFLiteConversion.convertFloat(tflite, options: options).bytes)
        var sparrowError = [Double](repeating: 0, count: 3), tfError = [Double](repeating: 0, count: 3), reference = 0.0
        var agree = (sparrow: 0, tf: 0)
        let per = want[0].count / samples, perIndex = wantIndex.count / samples
        for s in 0..<samples {
            model.setInput(0, Array(floats[(s * size)..<((s + 1) * size)]))
            _ = model.invoke()
            for o in 0..<3 {
                let got = model.output(o, as: Float.self)
                XCTAssertEqual(got.count, per)
                for i in 0..<min(per, got.count) {
                    let r = Double(want[o][s * per + i])
                    sparrowError[o] += abs(Double(got[i]) - r); tfError[o] += abs(Double(tf[o][s * per + i]) - r)
                    reference = max(reference, abs(r))
                }
            }
            let indices = model.output(3, as: Int64.self)
            XCTAssertEqual(indices.count, perIndex)
            for i in 0..<min(perIndex, indices.count) {
                if indices[i] == Int64(wantIndex[s * perIndex + i]) { agree.sparrow += 1 }
                if tfIndex[s * perIndex + i] == wantIndex[s * perIndex + i] { agree.tf += 1 }
            }
        }
        var lines: [String] = []
        for o in 0..<3 {
            let a = sparrowError[o] / Double(want[o].count), b = tfError[o] / Double(want[o].count)
            lines.append(String(format: "float_ops output %d (%@): mean |err| sparrow %.5f tf-int8 %.5f", o,
                                ["MAXIMUM", "MINIMUM", "DIV"][o] as NSString, a, b))
            XCTAssertLessThanOrEqual(a, max(2 * b, 0.002 * reference), "output \(o)")
        }
        lines.append("float_ops ARG_MAX: \(agree.sparrow) / \(wantIndex.count) indices equal to LiteRT float's (TF int8: \(agree.tf))")
        print(lines.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(agree.sparrow, agree.tf - wantIndex.count / 20)
    }

    /// The two-input fixtures (ADD, SUB, MUL, MAXIMUM, MINIMUM, STRIDED_SLICE, CONCATENATION, with
    /// broadcasting) imported on the float executor against LiteRT float (make_tflite_fixtures.py).
    func testTwoInputFloatModelsMatchLiteRTFloat() throws {
        for stem in ["binary", "binary_broadcast"] {
            let tflite = try TFLiteModel.load(path: Self.path("models/\(stem).float.tflite"))
            let graph = Passes.optimize(try TFLiteFloatImport.importGraph(tflite))
            XCTAssertEqual(graph.opCounts["Maximum"], 1, stem)
            XCTAssertEqual(graph.opCounts["Minimum"], 1, stem)
            let inputs = try (0..<2).map { try NPYArray.read(path: Self.path("golden/\(stem).float.in\($0).npy")) }
            let want = try NPYArray.read(path: Self.path("golden/\(stem).float.out0.npy")).floats()!
            let got = try FloatExecutor(graph: graph).run(onnxLayoutInputs: inputs.map { $0.floats()! }, batch: inputs[0].shape[0])[0]
            XCTAssertEqual(got.count, want.count, stem)
            let worst = zip(got, want).map { abs(Double($0) - Double($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5, stem)
        }
    }

    /// An operator the float path lacks is listed with every other one at once
    /// (float_unsupported: float_ops with DIV and ARG_MAX recoded as FLOOR_DIV and ARG_MIN).
    func testUnsupportedFloatOperatorsAreListed() throws {
        let tflite = try TFLiteModel.load(path: Self.path("models/float_unsupported.float.tflite"))
        let options = ConversionOptions(calibration: .samples([Self.calibration(shape: [1, 6, 6, 4], seed: 1)]))
        XCTAssertThrowsError(try TFLiteConversion.convertFloat(tflite, options: options)) { error in
            XCTAssertTrue("\(error)".contains("FLOOR_DIV (operator"), "\(error)")
            XCTAssertTrue("\(error)".contains("ARG_MIN (operator"), "\(error)")
            XCTAssertTrue("\(error)".contains("The float path imports:"), "\(error)")
        }
    }
}

// The reader on the models TensorFlow's converter wrote (Tests/Fixtures/tflite), checked against
// what LiteRT itself reported for the same files (manifest.json, written by
// make_tflite_fixtures.py): every operator with its inputs and outputs, every tensor's name,
// shape, type and quantization, the graph inputs and outputs, and the signature keys. The
// golden .npy files are checked to match the model's input and output tensors, since the
// importer's bit-exactness tests will feed them in.
import Foundation
import XCTest
import SparrowNPY
@testable import SparrowTFLite

enum TFLiteFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tflite")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("manifest.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

final class TFLiteFixtureTests: XCTestCase {
    /// numpy dtype names as LiteRT reports them.
    private static let dtypeNames: [TFLiteTensorType: String] = [
        .float32: "float32", .float16: "float16", .int32: "int32", .uint8: "uint8", .int64: "int64",
        .bool: "bool", .int16: "int16", .int8: "int8", .float64: "float64",
    ]

    func testReaderAgreesWithLiteRTOnEveryFixture() throws {
        let models = try XCTUnwrap(TFLiteFixtures.manifest()["models"] as? [String: [String: Any]])
        XCTAssertEqual(models.count, 32, "16 networks, int8 and float each")
        var seenOps = Set<String>()
        for (stem, entry) in models.sorted(by: { $0.key < $1.key }) {
            let model = try TFLiteModel.load(path: TFLiteFixtures.path(entry["file"] as! String))
            let graph = model.graph

            let ops = entry["ops"] as! [[String: Any]]
            XCTAssertEqual(graph.operators.count, ops.count, stem)
            for (op, expected) in zip(graph.operators, ops) {
                let name = model.opcode(of: op).displayName
                XCTAssertEqual(name, expected["op_name"] as? String, "\(stem) op \(expected["index"]!)")
                XCTAssertEqual(op.inputs, expected["inputs"] as? [Int], "\(stem) op \(expected["index"]!) inputs")
                XCTAssertEqual(op.outputs, expected["outputs"] as? [Int], "\(stem) op \(expected["index"]!) outputs")
                seenOps.insert(name)
            }
            if stem.hasSuffix(".int8") { XCTAssertNoThrow(try model.checkSupported(), stem) }

            // LiteRT lists the file's tensors first, then scratch tensors its kernels added.
            let tensors = (entry["tensors"] as! [[String: Any]]).filter { ($0["index"] as! Int) < graph.tensors.count }
            XCTAssertEqual(tensors.map { $0["index"] as! Int }, Array(graph.tensors.indices), stem)
            for expected in tensors {
                let index = expected["index"] as! Int
                let tensor = graph.tensors[index]
                let what = "\(stem) tensor \(index) '\(tensor.name)'"
                XCTAssertEqual(tensor.name, expected["name"] as? String, what)
                XCTAssertEqual(tensor.shape, expected["shape"] as? [Int], what)
                XCTAssertEqual(Self.dtypeNames[tensor.type], expected["dtype"] as? String, what)
                let q = expected["quantization"] as! [String: Any]
                let scales = (q["scales"] as! [Double]).map(Float.init)
                XCTAssertEqual(tensor.quantization?.scales ?? [], scales, what)
                XCTAssertEqual((tensor.quantization?.zeroPoints ?? []).map(Int.init), q["zero_points"] as? [Int], what)
                if let quantization = tensor.quantization {
                    XCTAssertEqual(quantization.quantizedDimension, q["quantized_dimension"] as? Int, what)
                }
                // Constants: the buffer holds exactly the tensor's bytes.
                if tensor.buffer != 0, let size = tensor.type.byteSize, !model.data(of: tensor).isEmpty {
                    XCTAssertEqual(model.data(of: tensor).count, tensor.elementCount * size, what)
                }
            }
            let io = entry["io"] as! [String: [Int]]
            XCTAssertEqual(graph.inputs, io["inputs"], stem)
            XCTAssertEqual(graph.outputs, io["outputs"], stem)
            XCTAssertEqual(model.signatures.map(\.key).sorted(), entry["signatures"] as? [String], stem)

            try checkGoldens(stem: stem, entry: entry, model: model)
        }
        let required: Set<String> = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "ADD", "SUB", "MUL",
                                     "MAXIMUM", "MINIMUM", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "SOFTMAX", "LOGISTIC",
                                     "TANH", "HARD_SWISH", "RELU", "RELU6", "LEAKY_RELU", "PRELU", "RESHAPE", "CONCATENATION",
                                     "PAD", "PADV2", "STRIDED_SLICE", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR",
                                     "QUANTIZE", "DEQUANTIZE", "ARG_MAX"]
        // SQUEEZE is missing on purpose: TF 2.21's converter rewrites it to RESHAPE.
        XCTAssertEqual(required.subtracting(seenOps), [], "operators no fixture exercises")
    }

    /// Golden inputs/outputs: [samples, *tensor shape], of the tensor's element type.
    private func checkGoldens(stem: String, entry: [String: Any], model: TFLiteModel) throws {
        let samples = stem.hasPrefix("mobilenet") ? (stem.hasSuffix("int8") ? 16 : 2) : (stem.hasSuffix("int8") ? 48 : 8)
        for (files, tensors) in [(entry["inputs"] as! [String], model.graph.inputs), (entry["outputs"] as! [String], model.graph.outputs)] {
            XCTAssertEqual(files.count, tensors.count, stem)
            for (file, index) in zip(files, tensors) {
                let tensor = model.graph.tensors[index]
                let array = try NPYArray.read(path: TFLiteFixtures.path(file))
                XCTAssertEqual(array.shape, [samples] + tensor.shape, file)
                let expectedType: NPYDType? = switch tensor.type {
                case .int8: .int8
                case .uint8: .uint8
                case .float32: .float32
                case .int32: .int32
                case .int64: .int64
                default: nil
                }
                XCTAssertEqual(array.dtype, expectedType, file)
            }
        }
    }

    func testFixtureFacts() throws {
        // Per-channel conv weights (quantized_dimension 0, one scale per output channel) and
        // int32 bias, as the converter writes fully-int8 models.
        let conv = try TFLiteModel.load(path: TFLiteFixtures.path("models/conv.int8.tflite"))
        let op = conv.graph.operators[0]
        let filter = conv.graph.tensors[op.inputs[1]]
        XCTAssertEqual(filter.type, .int8)
        XCTAssertEqual(filter.quantization?.quantizedDimension, 0)
        XCTAssertEqual(filter.quantization?.scales.count, filter.shape[0])
        XCTAssertEqual(conv.graph.tensors[op.inputs[2]].type, .int32)
        guard case .conv2D(let options) = op.options else { return XCTFail("\(op.options)") }
        XCTAssertEqual(options.padding, .same)

        // The float fully-connected model was converted with constant buffers after the
        // flatbuffer (offset/size), the layout of models over 2 GB.
        let fc = try TFLiteModel.load(path: TFLiteFixtures.path("models/fully_connected.float.tflite"))
        XCTAssertGreaterThan(fc.buffers.filter(\.isExternal).count, 0)
        let weights = fc.graph.tensors[fc.graph.operators.first { fc.opcode(of: $0).builtin == .fullyConnected }!.inputs[1]]
        XCTAssertEqual(fc.data(of: weights).count, weights.elementCount * 4)

        let mobilenet = try TFLiteModel.load(path: TFLiteFixtures.path("models/mobilenet_v1_025_96.int8.tflite"))
        XCTAssertEqual(mobilenet.signatures.first?.key, "serving_default")
        XCTAssertEqual(mobilenet.graph.tensors[mobilenet.graph.inputs[0]].shape, [1, 96, 96, 3])
    }

    func testConverterOptionsMatchTheKerasDefinitions() throws {
        // make_tflite_fixtures.py conv_family(): c1 3x3 SAME; d1 depthwise SAME + relu; c2 stride 2
        // SAME + relu; c3 VALID + relu6; c4 dilation 2 + clip(-1, 1); d2 depthwise stride 2 VALID x2.
        let model = try TFLiteModel.load(path: TFLiteFixtures.path("models/conv.int8.tflite"))
        let expected: [TFLiteOptions] = [
            .conv2D(.init(padding: .same, strideW: 1, strideH: 1, dilationW: 1, dilationH: 1, activation: .none, quantizedBiasType: nil)),
            .depthwiseConv2D(.init(padding: .same, strideW: 1, strideH: 1, depthMultiplier: 1, dilationW: 1, dilationH: 1, activation: .relu)),
            .conv2D(.init(padding: .same, strideW: 2, strideH: 2, dilationW: 1, dilationH: 1, activation: .relu, quantizedBiasType: nil)),
            .conv2D(.init(padding: .valid, strideW: 1, strideH: 1, dilationW: 1, dilationH: 1, activation: .relu6, quantizedBiasType: nil)),
            .conv2D(.init(padding: .same, strideW: 1, strideH: 1, dilationW: 2, dilationH: 2, activation: .reluN1To1, quantizedBiasType: nil)),
            .depthwiseConv2D(.init(padding: .valid, strideW: 2, strideH: 2, depthMultiplier: 2, dilationW: 1, dilationH: 1, activation: .none)),
        ]
        XCTAssertEqual(model.graph.operators.map(\.options), expected)
        // pooling(): max 2x2/2 VALID, avg 3x3/2 SAME, avg 3x3/1 VALID; MEAN with and without keep_dims.
        let pooling = try TFLiteModel.load(path: TFLiteFixtures.path("models/pooling.int8.tflite"))
        let pools = pooling.graph.operators.compactMap { op -> TFLitePool2DOptions? in
            if case .pool2D(let o) = op.options { return o } else { return nil }
        }
        XCTAssertEqual(Set(pools.map { "\($0.padding) \($0.filterH)x\($0.filterW)/\($0.strideH)" }),
                       ["valid 2x2/2", "same 3x3/2", "valid 3x3/1"])
        let means = pooling.graph.operators.filter { pooling.opcode(of: $0).builtin == .mean }.map(\.options)
        XCTAssertEqual(Set(means.map { "\($0)" }), ["reducer(keepDims: true)", "reducer(keepDims: false)"])
        // activations(): leaky_relu(alpha 0.2); resize(): one bilinear with half-pixel centers,
        // one with align_corners.
        let acts = try TFLiteModel.load(path: TFLiteFixtures.path("models/activations.int8.tflite"))
        XCTAssertTrue(acts.graph.operators.contains { $0.options == .leakyRelu(alpha: 0.2) })
        let resize = try TFLiteModel.load(path: TFLiteFixtures.path("models/resize.int8.tflite"))
        let bilinear = resize.graph.operators.compactMap { op -> TFLiteResizeOptions? in
            if case .resizeBilinear(let o) = op.options { return o } else { return nil }
        }
        XCTAssertEqual(Set(bilinear.map { "\($0.alignCorners) \($0.halfPixelCenters)" }), ["false true", "true false"])

        let summary = model.summary()
        XCTAssertTrue(summary.contains("operators (6):"), summary)
        XCTAssertTrue(summary.contains("unsupported operators: none"), summary)
        XCTAssertTrue(summary.contains("per-axis(dim 3) 12 scales"), "depthwise filters are quantized along dim 3")
    }
}

// Symbolic input dimensions (issue 12 item 1): `ImportOptions.inputShapes` fixes them, shapes
// propagate through the graph (the export's Shape/Gather/Concat/Reshape subgraphs fold), and a
// dimension left symbolic is an error naming the input, the dimension and the option to use.
// Goldens: onnxruntime's outputs on the same inputs (Tests/Fixtures/multiio/make_multiio.py).
// Also: an unsupported model lists every blocker at once.
import Foundation
import Testing
import SparrowONNX
import SparrowNPY
import SparrowRuntime
@testable import SparrowConverter

enum MultiIOFixtures {
    static func path(_ name: String) -> String { IRFixtures.root.appendingPathComponent("multiio").appendingPathComponent(name).path }
}

@Suite struct InputShapeTests {
    func floats(_ name: String) throws -> [Float] { try IRFixtures.floats(MultiIOFixtures.path(name)).data }

    /// The same export runs at two spatial sizes, each matching onnxruntime on both outputs.
    @Test(arguments: [(32, 48), (40, 24)])
    func fixedShapesPropagateThroughTheGraph(size: (Int, Int)) throws {
        let (h, w) = size
        let options = ImportOptions(inputShapes: ["images": [1, 3, h, w]])
        let graph = Passes.optimize(try ONNXImporter.importModel(path: MultiIOFixtures.path("dynamic_cnn.onnx"), options: options))
        #expect(graph.inputPorts[0].onnxShape == [1, 3, h, w])
        #expect(graph.outputPorts.map(\.onnxName) == ["logits", "heatmap"])
        #expect(graph.outputPorts[1].onnxShape == [1, 1, h / 2, w / 2])
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: try floats("dynamic_x_\(h)x\(w).npy"), batch: 1)
        expectClose(out[0], try floats("dynamic_ref_\(h)x\(w)_logits.npy"), tolerance: 1e-4)
        expectClose(out[1], try floats("dynamic_ref_\(h)x\(w)_heatmap.npy"), tolerance: 1e-4)
    }

    /// Converted to int8 with the shape given without a name (single-input model): both
    /// outputs stay close to onnxruntime's float outputs.
    @Test func unnamedShapeConvertsAndRunsInInt8() throws {
        var options = ConversionOptions(calibration: .npyFiles([MultiIOFixtures.path("dynamic_x_32x48.npy")]))
        options.inputShapes = ["": [1, 3, 32, 48]]
        let result = try convert(onnxPath: MultiIOFixtures.path("dynamic_cnn.onnx"), options: options)
        let runner = try HostModel(bytes: result.bytes)
        let x = try NPYArray.read(path: MultiIOFixtures.path("dynamic_x_32x48.npy")).encoded()!
        let batch = try runner.runBatch(inputFiles: [x], allOutputs: true)
        let logits = try floats("dynamic_ref_32x48_logits.npy"), heatmap = try floats("dynamic_ref_32x48_heatmap.npy")
        // Calibrated on this very input: int8 error within a few output steps of the value range.
        let logitRange = logits.map(abs).max()!
        for (a, b) in zip(batch.allOutputs[0], logits) { #expect(abs(a - b) <= 0.05 * logitRange, "logit \(a) vs \(b)") }
        for (a, b) in zip(batch.allOutputs[1], heatmap) { #expect(abs(a - b) <= 0.02, "heatmap \(a) vs \(b)") }
        // [N] + the output's dims without its batch of 1.
        #expect(try NPYArray(bytes: batch.allOutputFiles[1]).shape == [1, 1, 16, 24])
    }

    @Test func unsetSymbolicDimensionNamesInputDimensionAndOption() throws {
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(path: MultiIOFixtures.path("dynamic_cnn.onnx")) }
        #expect(error?.description == "Graph, input 'images': dimension 2 is symbolic ('height') (shape [batch,3,height,width]); "
                + "Sparrow needs static shapes: fix it with --input-shape images=1,3,height,width "
                + "(a symbolic dimension 0, the batch, defaults to 1)")
    }

    /// dim_value 0 (written by some exporters for "unknown") counts as symbolic: an error without
    /// a shape, onnxruntime's result with one.
    @Test func dimValueZeroIsTreatedAsUnknown() throws {
        let path = MultiIOFixtures.path("dim_zero.onnx")
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(path: path) }
        #expect(error?.description.contains("input 'x': dimension 1 is 0 (unknown) (shape [N,?,16])") == true, "\(String(describing: error))")
        #expect(error?.description.contains("--input-shape x=1,D1,16") == true)
        let graph = try ONNXImporter.importModel(path: path, options: ImportOptions(inputShapes: ["x": [1, 10, 16]]))
        let out = try FloatExecutor.run(graph: Passes.optimize(graph), onnxLayoutInput: try floats("dim_zero_x.npy"), batch: 1)
        expectClose(out[0], try floats("dim_zero_ref.npy"), tolerance: 1e-5)
    }

    @Test func givenShapesAreCheckedAgainstTheModel() throws {
        let path = MultiIOFixtures.path("dynamic_cnn.onnx")
        func message(_ shapes: [String: [Int]]) -> String {
            let e = #expect(throws: ImportError.self) { try ONNXImporter.importModel(path: path, options: ImportOptions(inputShapes: shapes)) }
            return e?.description ?? ""
        }
        #expect(message(["img": [1, 3, 8, 8]]) == "Graph, input 'img': not an input of the model (its inputs: 'images')")
        #expect(message(["images": [1, 3, 8]]) == "Graph, input 'images': declared with rank 4 [batch,3,height,width]; the given shape 1,3,8 has rank 3")
        #expect(message(["images": [1, 4, 8, 8]]) == "Graph, input 'images': dimension 1 is fixed to 3 by the model; the given shape 1,4,8,8 has 4")
        #expect(message(["images": [1, 3, 0, 8]]).contains("needs dimensions of at least 1"))
        let fusion = #expect(throws: ImportError.self) {
            try ONNXImporter.importModel(path: MultiIOFixtures.path("fusion.onnx"), options: ImportOptions(inputShapes: ["": [1, 1, 16, 16]]))
        }
        #expect(fusion?.description.contains("this one has 2 ('image', 'imu'): give NAME=DIMS for each") == true)
    }

    /// Every unsupported op and every failing node is listed in one error, with node names;
    /// nodes downstream of a failed one are not blamed.
    @Test func everyBlockerIsListedAtOnce() throws {
        let nodes = [
            ONNXNode(name: "prelu_1", opType: "PReluX", inputs: ["x"], outputs: ["a"]),
            ONNXNode(name: "after_prelu", opType: "Relu", inputs: ["a"], outputs: ["b"]),
            ONNXNode(name: "pad_1", opType: "Pad", inputs: ["x", "pads"], outputs: ["c"], attributes: ["mode": .string(Array("wrap".utf8))]),
            ONNXNode(name: "custom", opType: "Relu", domain: "com.example", inputs: ["x"], outputs: ["d"]),
            ONNXNode(name: "resize_9", opType: "ResizeX", inputs: ["b"], outputs: ["y"]),
        ]
        let m = model(nodes, input: [1, 1, 2, 2], initializers: [int64Tensor("pads", [0, 0, 1, 1, 0, 0, 1, 1])])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        let lines = (error?.description ?? "").split(separator: "\n").map(String.init)
        #expect(lines.first == "Graph: 4 nodes cannot be imported (all listed):")
        #expect(lines.count == 6, "\(lines)")
        #expect(lines.contains("  Node 'prelu_1' (PReluX): unsupported op type"))
        #expect(lines.contains("  Node 'pad_1' (Pad), attribute 'mode': value 'wrap' is not supported (constant, reflect, edge)"))
        #expect(lines.contains { $0.hasPrefix("  Node 'custom' (Relu): operator domain 'com.example' is not supported") })
        #expect(lines.contains("  Node 'resize_9' (ResizeX): unsupported op type"))
        #expect(!lines.contains { $0.contains("after_prelu") })
        #expect(lines.last?.hasPrefix("Sparrow supports: ") == true)
    }
}

// ONNX import on models built in the test: error messages name node, op type and attribute;
// layout changes (NCHW → NHWC) keep ONNX semantics for Flatten, Transpose, Concat and Softmax.
import Foundation
import Testing
import SparrowConverter
import SparrowONNX

func floatTensor(_ name: String, _ dims: [Int], _ data: [Float]) -> ONNXTensor {
    ONNXTensor(name: name, dataType: .float, dims: dims, data: .floatData(data))
}

func int64Tensor(_ name: String, _ data: [Int64]) -> ONNXTensor {
    ONNXTensor(name: name, dataType: .int64, dims: [data.count], data: .int64Data(data))
}

func tensorInfo(_ name: String, _ dims: [Int]) -> ONNXValueInfo {
    ONNXValueInfo(name: name, isTensor: true, elemType: .float, shape: dims.map { ONNXDim.value($0) })
}

func model(_ nodes: [ONNXNode], input: [Int], output: String = "y", initializers: [ONNXTensor] = [], opset: Int = 13) -> ONNXModel {
    ONNXModel(opsetImports: ["": opset],
              graph: ONNXGraph(nodes: nodes, initializers: initializers, inputs: [tensorInfo("x", input)],
                               outputs: [ONNXValueInfo(name: output, isTensor: true, elemType: .float)]))
}

@Suite struct ImporterTests {
    @Test func unsupportedOpNamesNodeOpAndSupportedList() throws {
        let m = model([ONNXNode(name: "conv_3", opType: "Foo", inputs: ["x"], outputs: ["y"])], input: [1, 4])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("Node 'conv_3' (Foo): unsupported op type; Sparrow supports: "))
        let list = text.components(separatedBy: "supports: ").last?.components(separatedBy: ", ") ?? []
        #expect(list == list.sorted())
        for op in ["Conv", "Gemm", "BatchNormalization", "HardSwish", "Softmax", "Pad"] { #expect(list.contains(op)) }
    }

    @Test func unsupportedAttributeValueNamesNodeOpAndAttribute() throws {
        let pad = ONNXNode(name: "pad_1", opType: "Pad", inputs: ["x", "pads"], outputs: ["y"],
                           attributes: ["mode": .string(Array("wrap".utf8))])
        let m = model([pad], input: [1, 1, 2, 2], initializers: [int64Tensor("pads", [0, 0, 1, 1, 0, 0, 1, 1])])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description == "Node 'pad_1' (Pad), attribute 'mode': value 'wrap' is not supported (constant, reflect, edge)")
    }

    @Test func groupedConvolutionIsRejectedNamingGroup() throws {
        let conv = ONNXNode(name: "conv_g", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: ["group": .int(2)])
        let m = model([conv], input: [1, 4, 3, 3], initializers: [floatTensor("w", [4, 2, 1, 1], [Float](repeating: 1, count: 8))])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.node == "conv_g")
        #expect(error?.opType == "Conv")
        #expect(error?.subject == "attribute 'group'")
        #expect(error?.description.contains("value 2 is not supported") == true)
    }

    @Test func runTimeWeightsAreRejectedNamingTheInput() throws {
        let conv = ONNXNode(name: "c", opType: "Conv", inputs: ["x", "x"], outputs: ["y"])
        let m = model([conv], input: [1, 1, 3, 3])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.subject == "input 1 ('x')")
    }

    @Test func symbolicNonBatchDimensionIsRejected() throws {
        var m = model([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], input: [1, 4])
        m.graph.inputs[0].shape = [.param("N"), .param("features")]
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("input 'x'") == true)
    }

    @Test func batchDimensionIsFixedByOptions() throws {
        var m = model([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], input: [1, 4])
        m.graph.inputs[0].shape = [.param("N"), .value(4)]
        let g = try ONNXImporter.importModel(m, options: ImportOptions(batchSize: 3))
        #expect(g.inputPorts[0].onnxShape == [3, 4])
        #expect(g.values[g.outputs[0]].shape == [3, 4])
    }

    // NCHW [1, 2, 2, 3] with values 0..<12; ONNX semantics computed by hand in NCHW.
    let nchw: [Float] = (0..<12).map(Float.init)

    func runNCHW(_ m: ONNXModel) throws -> (IRGraph, [Float]) {
        let g = Passes.optimize(try ONNXImporter.importModel(m))
        return (g, try FloatExecutor.run(graph: g, onnxLayoutInput: nchw, batch: 1)[0])
    }

    @Test func flattenOfMultiChannelImageKeepsNCHWOrder() throws {
        let (g, out) = try runNCHW(model([ONNXNode(name: "f", opType: "Flatten", inputs: ["x"], outputs: ["y"])], input: [1, 2, 2, 3]))
        #expect(out == nchw)
        // The NHWC → NCHW transpose before the reshape reads the graph input, so the input port
        // absorbs it (Passes.absorbInputTransposes): the model takes the NCHW data as it is.
        #expect(g.opCounts["Transpose"] == nil)
        #expect(g.inputPorts[0].onnxToIR == [0, 1, 2, 3])
    }

    @Test func transposeOfImageFollowsONNXPermutation() throws {
        let t = ONNXNode(name: "t", opType: "Transpose", inputs: ["x"], outputs: ["y"], attributes: ["perm": .ints([0, 3, 1, 2])])
        let (g, out) = try runNCHW(model([t], input: [1, 2, 2, 3]))
        // y[n, w, c, h] = x[n, c, h, w]; y shape [1, 3, 2, 2].
        var expected: [Float] = []
        for w in 0..<3 { for c in 0..<2 { for h in 0..<2 { expected.append(nchw[(c * 2 + h) * 3 + w]) } } }
        #expect(out == expected)
        #expect(g.outputPorts[0].onnxShape == [1, 3, 2, 2])
    }

    @Test func concatOnChannelsAndSoftmaxOverChannels() throws {
        let concat = ONNXNode(name: "cat", opType: "Concat", inputs: ["x", "k"], outputs: ["c"], attributes: ["axis": .int(1)])
        let soft = ONNXNode(name: "sm", opType: "Softmax", inputs: ["c"], outputs: ["y"], attributes: ["axis": .int(1)])
        let k = floatTensor("k", [1, 1, 2, 3], [Float](repeating: 1, count: 6))
        let (g, out) = try runNCHW(model([concat, soft], input: [1, 2, 2, 3], initializers: [k]))
        #expect(g.nodes.contains { $0.op == .concat(axis: 3) })
        // Softmax over the 3 channels (x0, x1, 1) at each of the 6 pixels.
        var expected = [Float](repeating: 0, count: 18)
        for p in 0..<6 {
            let v = [nchw[p], nchw[6 + p], 1]
            let m = v.max()!
            let e = v.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for c in 0..<3 { expected[c * 6 + p] = e[c] / s }
        }
        expectClose(out, expected)
    }

    @Test func gemmWithTransBAlphaBetaBecomesFullyConnected() throws {
        let gemm = ONNXNode(name: "fc", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"],
                            attributes: ["transB": .int(1), "alpha": .float(2), "beta": .float(0.5)])
        let w = floatTensor("w", [2, 3], [1, 0, -1, 0.5, 0.5, 0.5])
        let b = floatTensor("b", [2], [4, -4])
        let g = Passes.optimize(try ONNXImporter.importModel(model([gemm], input: [1, 3], initializers: [w, b])))
        #expect(g.opCounts == ["FullyConnected": 1])
        let out = try FloatExecutor.run(graph: g, onnxLayoutInput: [1, 2, 3], batch: 1)[0]
        // y = 2·(x·Wᵀ) + 0.5·b
        let expected: [Float] = [2 * (1 - 3) + 2, 2 * (0.5 + 1 + 1.5) - 2]
        #expect(out == expected)
    }

    @Test func opset11ClipAndPadInputsVersusOpset10Attributes() throws {
        let clip11 = ONNXNode(name: "clip", opType: "Clip", inputs: ["x", "lo", "hi"], outputs: ["y"])
        let g11 = try ONNXImporter.importModel(model([clip11], input: [1, 4], initializers: [floatTensor("lo", [], [0]), floatTensor("hi", [], [6])], opset: 11))
        let clip6 = ONNXNode(name: "clip", opType: "Clip", inputs: ["x"], outputs: ["y"], attributes: ["min": .float(0), "max": .float(6)])
        let g6 = try ONNXImporter.importModel(model([clip6], input: [1, 4], opset: 6))
        #expect(g11.nodes.map(\.op) == [.unary(.clip(0, 6))])
        #expect(g6.nodes.map(\.op) == [.unary(.clip(0, 6))])
        let pad2 = ONNXNode(name: "pad", opType: "Pad", inputs: ["x"], outputs: ["y"],
                            attributes: ["pads": .ints([0, 0, 1, 1, 0, 0, 0, 2]), "value": .float(-1)])
        let g2 = try ONNXImporter.importModel(model([pad2], input: [1, 1, 2, 2], opset: 2))
        #expect(g2.nodes.map(\.op) == [.pad(before: [0, 1, 1, 0], after: [0, 0, 2, 0], value: -1)])
    }
}

@Suite struct QDQImportTests {
    @Test func dequantizedWeightsAndActivationScalesAreKept() throws {
        // x → QuantizeLinear(0.5, 0) → DequantizeLinear → MatMul(DequantizeLinear(int8 W, per-column scales)).
        let w = ONNXTensor(name: "wq", dataType: .int8, dims: [2, 2], data: .raw([2, 254, 4, 8]))  // [[2, -2], [4, 8]]
        let nodes = [
            ONNXNode(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            ONNXNode(name: "dq", opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xf"]),
            ONNXNode(name: "dqw", opType: "DequantizeLinear", inputs: ["wq", "ws"], outputs: ["wf"], attributes: ["axis": .int(1)]),
            ONNXNode(name: "mm", opType: "MatMul", inputs: ["xf", "wf"], outputs: ["y"]),
        ]
        let inits = [w, floatTensor("s", [], [0.5]), ONNXTensor(name: "z", dataType: .int8, dims: [], data: .raw([0])),
                     floatTensor("ws", [2], [0.25, 0.5])]
        let g = Passes.optimize(try ONNXImporter.importModel(model(nodes, input: [1, 2], initializers: inits)))
        #expect(g.opCounts == ["FullyConnected": 1])
        #expect(g.values[g.inputs[0]].quantization == IRQuantization(scales: [0.5], zeroPoints: [0], axis: nil, isSigned: true))
        let weights = g.values[g.nodes[0].inputs[1]]
        // Float weights [out, in] = Wᵀ · scale(out): [[0.5, 1], [-1, 4]].
        #expect(weights.constant == [0.5, 1, -1, 4])
        #expect(weights.quantization?.scales == [0.25, 0.5])
        #expect(weights.quantization?.axis == 0)
        let out = try FloatExecutor.run(graph: g, onnxLayoutInput: [2, 1], batch: 1)[0]
        #expect(out == [2, 2])
    }
}

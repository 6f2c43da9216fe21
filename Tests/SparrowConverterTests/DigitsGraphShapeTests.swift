// What the import + passes pipeline leaves of each digits model: BatchNormalization folded away,
// HardSwish patterns collapsed, activations fused, shape subgraphs folded.
import Testing
import SparrowConverter

@Suite struct DigitsGraphShapeTests {
    func optimized(_ model: String) throws -> (imported: IRGraph, optimized: IRGraph) {
        let g = try ONNXImporter.importModel(path: IRFixtures.digits("\(model).onnx"))
        return (g, Passes.optimize(g))
    }

    @Test(arguments: ["digits_cnn", "digits_cnn_opset11", "digits_cnn_opset18"])
    func batchNormIsFolded(model: String) throws {
        let (imported, g) = try optimized(model)
        // Import turns each of the 4 BatchNormalization nodes into a Mul and an Add.
        #expect(imported.opCounts["Mul"] == 4)
        #expect(g.opCounts["Mul"] == nil)
        // Only the residual Add is left.
        #expect(g.opCounts["Add"] == 1)
        #expect(g.nodes.count < imported.nodes.count - 8)
        // conv(stem)+relu, depthwise+relu6, pointwise+relu, conv s2+relu: all fused.
        #expect(g.opCounts["Conv2D"] == 3)
        #expect(g.opCounts["DepthwiseConv2D"] == 1)
        #expect(g.opCounts["Unary"] == nil)
        let activations = g.nodes.compactMap { node -> Activation? in
            if case .conv(let a) = node.op { return a.activation } else { return nil }
        }
        #expect(activations.filter { $0 == .relu }.count == 3)
        #expect(activations.filter { $0 == .relu6 }.count == 1)
        #expect(g.opCounts["FullyConnected"] == 1)
        #expect(g.opCounts["Mean"] == 1)
        #expect(g.opCounts["MaxPool"] == 1)
        // Every remaining op maps to a device opcode.
        #expect(Set(g.opCounts.keys).isSubset(of: ["Conv2D", "DepthwiseConv2D", "Add", "MaxPool", "Mean", "Reshape", "FullyConnected"]))
    }

    @Test(arguments: ["digits_mbv3", "digits_mbv3_opset11", "digits_mbv3_opset18"])
    func mobileNetPatternsCollapse(model: String) throws {
        let (_, g) = try optimized(model)
        let unaries = g.nodes.compactMap { node -> UnaryFunction? in
            if case .unary(let f) = node.op { return f } else { return nil }
        }
        // 5 HardSwish (explicit at opset 14+, x·HardSigmoid(x) at 11), the SE gate's HardSigmoid,
        // and x·Sigmoid(x) → SiLU.
        #expect(unaries.filter { $0 == .hardSwish }.count == 5)
        #expect(unaries.filter { if case .hardSigmoid = $0 { return true } else { return false } }.count == 1)
        #expect(unaries.filter { $0 == .silu }.count == 1)
        #expect(g.opCounts["Mul"] == 1)  // the squeeze-and-excitation broadcast multiply
        // The explicit F.pad before the stem conv folds into the conv's padding (Passes.foldPadIntoConv).
        #expect(g.opCounts["Pad"] == nil)
        #expect(g.nodes.contains { if case .conv(let a) = $0.op { return a.pads == [1, 1, 1, 1] } else { return false } })
        #expect(g.opCounts["Concat"] == 1)
        #expect(g.opCounts["Softmax"] == 1)
        #expect(g.opCounts["Transpose"] == nil)
        let allowed: Set<String> = ["Conv2D", "DepthwiseConv2D", "Mul", "Pad", "AveragePool", "Mean", "Concat",
                                    "Reshape", "FullyConnected", "Softmax", "Unary"]
        #expect(Set(g.opCounts.keys).isSubset(of: allowed), "\(g.opCounts)")
        // The SE block's Relu is fused into its 1x1 conv.
        #expect(g.nodes.contains { if case .conv(let a) = $0.op { return a.activation == .relu } else { return false } })
    }

    @Test func mlpIsThreeFullyConnected() throws {
        let (_, g) = try optimized("digits_mlp")
        #expect(g.opCounts == ["Reshape": 1, "FullyConnected": 3])
        let acts = g.nodes.compactMap { node -> Activation? in
            if case .fullyConnected(let a) = node.op { return a } else { return nil }
        }
        #expect(acts == [.relu, .relu, .none])
        #expect(g.inputPorts[0].onnxShape == [1, 1, 8, 8])
        #expect(g.inputPorts[0].onnxToIR == [0, 2, 3, 1])
        #expect(g.outputPorts[0].onnxName == "logits")
        #expect(g.outputPorts[0].onnxShape == [1, 10])
    }
}

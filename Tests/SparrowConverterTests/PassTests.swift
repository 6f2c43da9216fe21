// One test per pass, on small hand-built graphs. Expected outputs are computed in the test with
// plain float arithmetic, and every rewritten graph is also run against the original.
import Foundation
import Testing
@testable import SparrowConverter

/// Builds small IR graphs for the pass tests.
struct GraphBuilder {
    var graph = IRGraph()

    mutating func input(_ shape: [Int]) -> Int {
        let id = graph.addValue(IRValue(name: "x\(graph.values.count)", shape: shape))
        graph.inputPorts.append(IRGraphPort(value: id, onnxName: "in\(graph.inputPorts.count)", onnxShape: shape,
                                            onnxToIR: Array(0..<shape.count)))
        return id
    }

    mutating func constant(_ data: [Float], _ shape: [Int]) -> Int {
        graph.addValue(IRValue(name: "c\(graph.values.count)", shape: shape, constant: data))
    }

    mutating func node(_ op: IROp, _ inputs: [Int], _ shape: [Int]) -> Int {
        let out = graph.addValue(IRValue(name: "v\(graph.values.count)", shape: shape))
        graph.nodes.append(IRNode(name: "n\(graph.nodes.count)", op: op, inputs: inputs, outputs: [out]))
        return out
    }

    mutating func output(_ id: Int) {
        graph.outputPorts.append(IRGraphPort(value: id, onnxName: "out\(graph.outputPorts.count)",
                                             onnxShape: graph.values[id].shape, onnxToIR: Array(0..<graph.values[id].shape.count)))
    }
}

func runOne(_ g: IRGraph, _ x: [Float]) throws -> [Float] { try FloatExecutor(graph: g).run(inputs: [x])[0] }

func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, _ comment: Comment? = nil) {
    #expect(a.count == b.count, comment)
    for (u, v) in zip(a, b) where abs(u - v) > tolerance * max(1, abs(v)) {
        Issue.record("\(u) vs \(v) \(comment.map { "\($0)" } ?? "")")
        return
    }
}

@Suite struct PassTests {
    let x: [Float] = [-4, -2.5, -1, -0.25, 0, 0.5, 1.5, 3, 4.5, 7, -3.5, 2]

    @Test func removeIdentitiesKeepsOutputName() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let r = b.node(.unary(.relu), [i], [12])
        let id1 = b.node(.identity, [r], [12])
        let out = b.node(.identity, [id1], [12])
        b.output(out)
        let g = Passes.removeIdentities(b.graph)
        #expect(g.nodes.count == 1)
        #expect(g.nodes[0].outputs == [out])  // the relu now writes the graph output directly
        #expect(try runOne(g, x) == x.map { max($0, 0) })
    }

    @Test func foldConstantsEvaluatesConstantSubgraphs() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let sum = b.node(.add(.none), [b.constant([2], [1]), b.constant([0.5], [1])], [1])
        b.output(b.node(.mul(.none), [i, sum], [12]))
        let g = Passes.foldConstants(b.graph)
        #expect(g.nodes.count == 1)
        #expect(g.values[sum].constant == [2.5])
        #expect(try runOne(g, x) == x.map { $0 * 2.5 })
    }

    @Test func divisionByConstantBecomesMultiplication() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        b.output(b.node(.div(.none), [i, b.constant([4], [1])], [12]))
        let g = Passes.divisionByConstantToMultiplication(b.graph)
        #expect(g.opCounts == ["Mul": 1])
        #expect(g.values[g.nodes[0].inputs[1]].constant == [0.25])
        #expect(try runOne(g, x) == x.map { $0 / 4 })
    }

    @Test func subtractionOfConstantBecomesAddition() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        b.output(b.node(.sub(.relu), [i, b.constant([1.5], [1])], [12]))
        let g = Passes.subtractionOfConstantToAddition(b.graph)
        #expect(g.opCounts == ["Add": 1])
        #expect(g.nodes[0].op == .add(.relu))
        #expect(try runOne(g, x) == x.map { max($0 - 1.5, 0) })
    }

    /// A 1×1 conv (2 → 3 channels) followed by a BatchNormalization as imported (Mul, Add).
    func convBN(depthwise: Bool = false) -> (GraphBuilder, conv: (Float, Float, Int) -> Float) {
        var b = GraphBuilder()
        let i = b.input([1, 2, 3, 2])  // NHWC, 6 pixels × 2 channels = x
        let w: [Float] = [1, 2, -1, 0.5, 0.25, -3]  // OHWI [3,1,1,2]
        let bias: [Float] = [0.1, -0.2, 0.3]
        let conv = b.node(.conv(ConvAttributes()), [i, b.constant(w, [3, 1, 1, 2]), b.constant(bias, [3])], [1, 2, 3, 3])
        let scale: [Float] = [2, -1, 0.5], shift: [Float] = [1, 0, -2]
        let m = b.node(.mul(.none), [conv, b.constant(scale, [1, 1, 1, 3])], [1, 2, 3, 3])
        b.output(b.node(.add(.none), [m, b.constant(shift, [1, 1, 1, 3])], [1, 2, 3, 3]))
        return (b, { x0, x1, o in ((w[o * 2] * x0 + w[o * 2 + 1] * x1 + bias[o]) * scale[o]) + shift[o] })
    }

    @Test func batchNormFoldsIntoConv() throws {
        let (b, reference) = convBN()
        let g = Passes.foldAffineIntoLinear(b.graph)
        #expect(g.opCounts == ["Conv2D": 1])
        var expected: [Float] = []
        for p in 0..<6 { for o in 0..<3 { expected.append(reference(x[p * 2], x[p * 2 + 1], o)) } }
        expectClose(try runOne(g, x), expected)
        expectClose(try runOne(b.graph, x), expected)
    }

    @Test func batchNormFoldsIntoDepthwiseConvChannelMinor() throws {
        var b = GraphBuilder()
        let i = b.input([1, 1, 2, 3])
        let w: [Float] = [2, 3, 4]  // [1,1,1,3]
        let dw = ConvAttributes(isDepthwise: true, depthMultiplier: 1)
        let conv = b.node(.conv(dw), [i, b.constant(w, [1, 1, 1, 3]), -1], [1, 1, 2, 3])
        b.output(b.node(.mul(.none), [conv, b.constant([1, 10, 100], [3])], [1, 1, 2, 3]))
        let g = Passes.foldAffineIntoLinear(b.graph)
        #expect(g.opCounts == ["DepthwiseConv2D": 1])
        let input: [Float] = [1, 2, 3, 4, 5, 6]
        #expect(try runOne(g, input) == [2, 60, 1200, 8, 150, 2400])
    }

    @Test func standaloneBatchNormStaysAsMulAdd() throws {
        var b = GraphBuilder()
        let i = b.input([1, 2, 3, 2])
        let m = b.node(.mul(.none), [i, b.constant([2, 3], [1, 1, 1, 2])], [1, 2, 3, 2])
        b.output(b.node(.add(.none), [m, b.constant([1, -1], [1, 1, 1, 2])], [1, 2, 3, 2]))
        let g = Passes.optimize(b.graph)
        #expect(g.opCounts == ["Mul": 1, "Add": 1])
        #expect(try runOne(g, x) == x.enumerated().map { $0.offset % 2 == 0 ? $0.element * 2 + 1 : $0.element * 3 - 1 })
    }

    @Test func batchNormNotFoldedWhenConvOutputHasOtherReaders() throws {
        var (b, _) = convBN()
        let convOut = b.graph.nodes[0].outputs[0]
        b.output(convOut)
        let g = Passes.foldAffineIntoLinear(b.graph)
        #expect(g.opCounts == ["Conv2D": 1, "Mul": 1, "Add": 1])
    }

    @Test(arguments: [(UnaryFunction.relu, Activation.relu), (.clip(0, 6), .relu6), (.relu6, .relu6),
                      (.clip(-1, 1), .clip(-1, 1)), (.clip(0, .greatestFiniteMagnitude), .relu)])
    func activationFusesIntoConv(function: UnaryFunction, fused: Activation) throws {
        var (b, _) = convBN()
        let last = b.graph.outputs[0]
        let act = b.node(.unary(function), [last], b.graph.values[last].shape)
        b.graph.outputPorts[0].value = act
        let g = Passes.optimize(b.graph)
        #expect(g.nodes.count == 1)
        guard case .conv(let a) = g.nodes[0].op else { Issue.record("expected a conv"); return }
        #expect(a.activation == fused)
        expectClose(try runOne(g, x), try runOne(b.graph, x))
    }

    @Test func activationNotFusedIntoOpWithTwoReaders() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let sum = b.node(.add(.none), [i, b.constant([1], [1])], [12])
        b.output(b.node(.unary(.relu), [sum], [12]))
        b.output(sum)
        let g = Passes.fuseActivations(b.graph)
        #expect(g.opCounts == ["Add": 1, "Unary": 1])
    }

    @Test func hardSigmoidTimesInputBecomesHardSwish() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let h = b.node(.unary(.hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5)), [i], [12])
        b.output(b.node(.mul(.none), [h, i], [12]))
        let g = Passes.fuseHardSwish(b.graph)
        #expect(g.nodes.map(\.op) == [.unary(.hardSwish)])
        expectClose(try runOne(g, x), x.map { $0 * min(max($0 + 3, 0), 6) / 6 })
    }

    @Test func hardSigmoidWithOtherSlopeIsKept() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let h = b.node(.unary(.hardSigmoid(alpha: 0.2, beta: 0.5)), [i], [12])
        b.output(b.node(.mul(.none), [i, h], [12]))
        #expect(Passes.fuseHardSwish(b.graph).nodes.count == 2)
    }

    @Test func explicitHardSwishFormulaBecomesHardSwish() throws {
        // x * relu6(x + 3) / 6, with the division as imported (Div by a constant).
        var b = GraphBuilder()
        let i = b.input([12])
        let plus3 = b.node(.add(.none), [i, b.constant([3], [1])], [12])
        let r6 = b.node(.unary(.clip(0, 6)), [plus3], [12])
        let prod = b.node(.mul(.none), [i, r6], [12])
        b.output(b.node(.div(.none), [prod, b.constant([6], [1])], [12]))
        let g = Passes.optimize(b.graph)
        #expect(g.nodes.map(\.op) == [.unary(.hardSwish)])
        expectClose(try runOne(g, x), x.map { $0 * min(max($0 + 3, 0), 6) / 6 })
    }

    @Test func inputTimesSigmoidBecomesSiLU() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        let s = b.node(.unary(.sigmoid), [i], [12])
        b.output(b.node(.mul(.none), [i, s], [12]))
        let g = Passes.fuseSiLU(b.graph)
        #expect(g.nodes.map(\.op) == [.unary(.silu)])
        expectClose(try runOne(g, x), x.map { $0 / (1 + Foundation.exp(-$0)) })
    }

    @Test func reshapeChainsCollapse() throws {
        var b = GraphBuilder()
        let i = b.input([1, 1, 1, 12])
        let r1 = b.node(.reshape(shape: [12]), [i], [12])
        let t = b.node(.transpose(perm: [1, 0]), [b.node(.reshape(shape: [12, 1]), [r1], [12, 1])], [1, 12])
        b.output(b.node(.reshape(shape: [3, 4]), [t], [3, 4]))
        let g = Passes.optimize(b.graph)
        #expect(g.nodes.count == 1)
        #expect(g.nodes[0].op == .reshape(shape: [3, 4]))
        #expect(g.nodes[0].inputs == g.inputs)
        #expect(try runOne(g, x) == x)
    }

    @Test func deadNodesAndValuesAreRemoved() throws {
        var b = GraphBuilder()
        let i = b.input([12])
        _ = b.node(.unary(.tanh), [i], [12])  // nobody reads it
        b.output(b.node(.unary(.relu), [i], [12]))
        let g = Passes.removeDeadNodes(b.graph)
        #expect(g.nodes.map(\.op) == [.unary(.relu)])
        #expect(g.values.count == 2)
        #expect(g.outputs == [1])
        #expect(try runOne(g, x) == x.map { max($0, 0) })
    }
}

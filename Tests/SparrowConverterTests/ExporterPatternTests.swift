// Patterns from real exporters that the realistic models (Tests/Fixtures/realistic) exposed, each
// on a model built in the test: tf2onnx's NHWC input + Transpose and ReduceMean over [1, 2] of an
// NHWC tensor, and explicit zero Pads before convolutions (Keras ZeroPadding2D, timm's TF-SAME
// F.pad). Expected values are computed here with plain float arithmetic.
import Foundation
import Testing
@testable import SparrowConverter
import SparrowONNX

@Suite struct ExporterPatternTests {
    /// x in ONNX layout [n, c, h, w], row-major.
    static func ramp(_ count: Int) -> [Float] { (0..<count).map { Float(($0 * 7) % 11) - 4.5 } }

    /// tf2onnx head: Transpose(0,2,3,1) to NHWC, then ReduceMean over [1, 2] (H, W of NHWC).
    func nhwcPoolModel(keepDims: Int) -> ONNXModel {
        let t = ONNXNode(name: "to_nhwc", opType: "Transpose", inputs: ["x"], outputs: ["t"], attributes: ["perm": .ints([0, 2, 3, 1])])
        let mean = ONNXNode(name: "Mean", opType: "ReduceMean", inputs: ["t"], outputs: ["y"],
                            attributes: ["axes": .ints([1, 2]), "keepdims": .int(Int64(keepDims))])
        return model([t, mean], input: [1, 3, 2, 4])
    }

    /// Per-channel mean of an NCHW tensor [1, c, h, w].
    func channelMeans(_ x: [Float], c: Int, hw: Int) -> [Float] {
        (0..<c).map { ch in x[(ch * hw)..<((ch + 1) * hw)].reduce(0, +) / Float(hw) }
    }

    @Test(arguments: [0, 1])
    func reduceMeanOverNHWCSpatialAxes(keepDims: Int) throws {
        let x = Self.ramp(24)
        let imported = try ONNXImporter.importModel(nhwcPoolModel(keepDims: keepDims))
        let expected = channelMeans(x, c: 3, hw: 8)
        for graph in [imported, Passes.optimize(imported)] {
            let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x, batch: 1)[0]
            expectClose(out, expected)
        }
        #expect(imported.outputPorts[0].onnxShape == (keepDims == 1 ? [1, 1, 1, 3] : [1, 3]))
        // The exporter's transpose and the importer's cancel: the mean reads the NHWC input directly.
        let optimized = Passes.optimize(imported)
        #expect(!optimized.nodes.contains { if case .transpose = $0.op { return true } else { return false } })
        #expect(optimized.nodes.contains { $0.op == .mean(keepDims: false) })
    }

    @Test func reduceMeanOverOneAxisOfRank3() throws {
        // [n=1, l=3, c=2], mean over l (a sequence-model pool), keepdims 0 → [1, 2].
        let mean = ONNXNode(name: "m", opType: "ReduceMean", inputs: ["x"], outputs: ["y"],
                            attributes: ["axes": .ints([1]), "keepdims": .int(0)])
        let g = try ONNXImporter.importModel(model([mean], input: [1, 3, 2]))
        let x: [Float] = [1, 10, 2, 20, 6, 60]
        let out = try FloatExecutor.run(graph: Passes.optimize(g), onnxLayoutInput: x, batch: 1)[0]
        expectClose(out, [3, 30])
    }

    @Test func reduceMeanOverChannelsKeepsSpatialLayout() throws {
        // Mean over C of NCHW [1, 2, 1, 3], keepdims 1 → [1, 1, 1, 3].
        let mean = ONNXNode(name: "m", opType: "ReduceMean", inputs: ["x"], outputs: ["y"],
                            attributes: ["axes": .ints([1]), "keepdims": .int(1)])
        let g = try ONNXImporter.importModel(model([mean], input: [1, 2, 1, 3]))
        let x: [Float] = [1, 2, 3, 5, 6, 7]
        let out = try FloatExecutor.run(graph: g, onnxLayoutInput: x, batch: 1)[0]
        expectClose(out, [3, 4, 5])
        #expect(g.outputPorts[0].onnxShape == [1, 1, 1, 3])
    }

    @Test func nhwcInputTransposeIsAbsorbedIntoTheInputPort() throws {
        // tf2onnx: NHWC input [1, 2, 2, 3] → Transpose(0,3,1,2) → 1x1 Conv (2 filters).
        let t = ONNXNode(name: "Transpose__6", opType: "Transpose", inputs: ["x"], outputs: ["t"], attributes: ["perm": .ints([0, 3, 1, 2])])
        let conv = ONNXNode(name: "conv", opType: "Conv", inputs: ["t", "w"], outputs: ["y"])
        let w: [Float] = [1, 0, -1, 0.5, 2, 0]     // [2, 3, 1, 1]
        let m = model([t, conv], input: [1, 2, 2, 3], initializers: [floatTensor("w", [2, 3, 1, 1], w)])
        let g = Passes.optimize(try ONNXImporter.importModel(m))
        #expect(g.nodes.count == 1)
        #expect(g.inputPorts[0].onnxToIR == [0, 1, 2, 3])     // NHWC data is the IR layout already
        let x = Self.ramp(12)                                  // [1, 2, 2, 3] NHWC
        let out = try FloatExecutor.run(graph: g, onnxLayoutInput: x, batch: 1)[0]
        // ONNX output [1, 2, 2, 2] NCHW: y[o][p] = Σc w[o][c] · x[p][c].
        var expected: [Float] = []
        for o in 0..<2 { for p in 0..<4 { expected.append((0..<3).map { w[o * 3 + $0] * x[p * 3 + $0] }.reduce(0, +)) } }
        expectClose(out, expected)
    }

    @Test func transposeChainsCompose() throws {
        var b = GraphBuilder()
        let x = b.input([1, 2, 3, 4])
        let t1 = b.node(.transpose(perm: [0, 2, 3, 1]), [x], [1, 3, 4, 2])
        let t2 = b.node(.transpose(perm: [0, 2, 1, 3]), [t1], [1, 4, 3, 2])
        b.output(t2)
        let g = Passes.composeTransposes(b.graph)
        #expect(g.nodes.count == 1)
        #expect(g.nodes[0].op == .transpose(perm: [0, 3, 2, 1]))
        let input = Self.ramp(24)
        expectClose(try runOne(g, input), try runOne(b.graph, input))
    }

    /// Pad (IR NHWC before/after) → 3x3 stride-2 conv, as Keras ZeroPadding2D + 'valid' conv.
    func padConv(before: [Int], after: [Int], value: Float, depthwise: Bool) -> GraphBuilder {
        var b = GraphBuilder()
        let x = b.input([1, 4, 4, 2])
        let padded = [1, 4 + before[1] + after[1], 4 + before[2] + after[2], 2 + before[3] + after[3]]
        let p = b.node(.pad(before: before, after: after, value: value), [x], padded)
        let c = padded[3]
        let filter = (0..<(9 * c * (depthwise ? 1 : 3))).map { Float(($0 * 5) % 7) / 7 - 0.4 }
        let w = b.constant(filter, depthwise ? [1, 3, 3, c] : [3, 3, 3, c])
        let oh = (padded[1] - 3) / 2 + 1, ow = (padded[2] - 3) / 2 + 1
        let y = b.node(.conv(ConvAttributes(strides: [2, 2], isDepthwise: depthwise)), [p, w, -1], [1, oh, ow, depthwise ? c : 3])
        b.output(y)
        return b
    }

    @Test(arguments: [false, true])
    func zeroPadFoldsIntoConvPadding(depthwise: Bool) throws {
        let b = padConv(before: [0, 0, 1, 0], after: [0, 1, 2, 0], value: 0, depthwise: depthwise)
        let g = Passes.foldPadIntoConv(b.graph)
        #expect(g.nodes.count == 1)
        guard case .conv(let attrs) = g.nodes[0].op else { Issue.record("not a conv"); return }
        #expect(attrs.pads == [0, 1, 1, 2])      // top, left, bottom, right
        let x = Self.ramp(32)
        expectClose(try runOne(g, x), try runOne(b.graph, x))
    }

    @Test func nonZeroOrChannelPadIsNotFolded() throws {
        let nonZero = padConv(before: [0, 1, 1, 0], after: [0, 1, 1, 0], value: 0.5, depthwise: false)
        #expect(Passes.foldPadIntoConv(nonZero.graph).nodes.count == 2)
        let channels = padConv(before: [0, 1, 1, 0], after: [0, 1, 1, 1], value: 0, depthwise: false)
        #expect(Passes.foldPadIntoConv(channels.graph).nodes.count == 2)
    }
}

import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import Testing
@testable import SparrowConverter
import SparrowTestSupport

@Suite struct LoweringTests {
    /// x [1,4,4,2] -> Conv 3x3 pad 1 (3 filters) + ReLU -> Reshape [1,48] -> FC 5.
    struct ConvFC {
        var graph = IRGraph()
        let filter: [Float], bias: [Float], weights: [Float], fcBias: [Float]
        let x: Int, y: Int, flat: Int, z: Int

        init() {
            var rng = SplitMix64(seed: 42)
            filter = rng.floats(3 * 3 * 3 * 2, -0.5, 0.5)
            bias = rng.floats(3, -0.2, 0.2)
            weights = rng.floats(5 * 48, -0.3, 0.3)
            fcBias = rng.floats(5, -0.1, 0.1)
            x = graph.addValue(IRValue(name: "x", shape: [1, 4, 4, 2]))
            let f = graph.addValue(IRValue(name: "conv.weight", shape: [3, 3, 3, 2], constant: filter))
            let b = graph.addValue(IRValue(name: "conv.bias", shape: [3], constant: bias))
            y = graph.addValue(IRValue(name: "y", shape: [1, 4, 4, 3]))
            flat = graph.addValue(IRValue(name: "flat", shape: [1, 48]))
            let w = graph.addValue(IRValue(name: "fc.weight", shape: [5, 48], constant: weights))
            let c = graph.addValue(IRValue(name: "fc.bias", shape: [5], constant: fcBias))
            z = graph.addValue(IRValue(name: "z", shape: [1, 5]))
            graph.nodes = [
                IRNode(name: "conv", op: .conv(ConvAttributes(pads: [1, 1, 1, 1], activation: .relu)), inputs: [x, f, b], outputs: [y]),
                IRNode(name: "flatten", op: .reshape(shape: [1, 48]), inputs: [y], outputs: [flat]),
                IRNode(name: "fc", op: .fullyConnected(.none), inputs: [flat, w, c], outputs: [z]),
            ]
            graph.inputPorts = [IRGraphPort(value: x, onnxName: "x", onnxShape: [1, 2, 4, 4], onnxToIR: [0, 2, 3, 1])]
            graph.outputPorts = [IRGraphPort(value: z, onnxName: "z", onnxShape: [1, 5], onnxToIR: [0, 1])]
        }

        /// Float reference computed here with plain loops: (conv output, logits).
        func reference(_ input: [Float]) -> (y: [Float], z: [Float]) {
            var yv = [Float](repeating: 0, count: 48)
            for h in 0..<4 { for w in 0..<4 { for o in 0..<3 {
                var acc = bias[o]
                for kh in 0..<3 { for kw in 0..<3 {
                    let ih = h + kh - 1, iw = w + kw - 1
                    guard ih >= 0, ih < 4, iw >= 0, iw < 4 else { continue }
                    for i in 0..<2 { acc += input[(ih * 4 + iw) * 2 + i] * filter[((o * 3 + kh) * 3 + kw) * 2 + i] }
                } }
                yv[(h * 4 + w) * 3 + o] = max(acc, 0)
            } } }
            let zv = (0..<5).map { o in (0..<48).reduce(fcBias[o]) { $0 + yv[$1] * weights[o * 48 + $1] } }
            return (yv, zv)
        }
    }

    @Test func convReluFullyConnectedMatchesFloat() throws {
        let m = ConvFC()
        var rng = SplitMix64(seed: 7)
        let samples = (0..<16).map { _ in rng.floats(32) }
        // Calibrate from the float reference: per-value min/max over the samples.
        var ranges: [Int: ValueRange] = [:]
        func widen(_ v: Int, _ data: [Float]) {
            let r = ranges[v] ?? ValueRange(min: .infinity, max: -.infinity)
            ranges[v] = ValueRange(min: min(r.min, data.min()!), max: max(r.max, data.max()!))
        }
        for s in samples {
            let ref = m.reference(s)
            widen(m.x, s); widen(m.y, ref.y); widen(m.flat, ref.y); widen(m.z, ref.z)
        }
        let quant = try ActivationQuantizer.assign(graph: m.graph, ranges: ranges)
        #expect(quant[m.flat] == quant[m.y], "reshape shares its input's parameters")
        let lowered = try Lowering.lower(m.graph, quantization: quant)
        // The NCHW input is quantized in its ONNX layout, then transposed to NHWC in int8.
        #expect(lowered.opCounts == ["Quantize": 1, "Transpose": 1, "Conv2D": 1, "Reshape": 1, "FullyConnected": 1,
                                     "Dequantize": 1])
        // Conv: 48 outputs x (3·3·2) taps; FC: 5 x 48.
        let convMacs: UInt64 = 48 * 18, fcMacs: UInt64 = 5 * 48
        #expect(lowered.totalMacs == convMacs + fcMacs)
        let parameters = 54 + 3 + 240 + 5   // filter, bias, fc weights, fc bias
        #expect(lowered.parameterCount == parameters)

        let runner = try HostModel(bytes: lowered.bytes)
        defer { withExtendedLifetime(runner) {} }
        let outScale = quant[m.z]!.scale
        var worst: Float = 0
        for s in samples {
            // Samples are in IR layout (NHWC); the file takes the ONNX layout (NCHW).
            let got = runner.run([m.graph.inputPorts[0].toONNXLayout(s)])[0]
            let want = m.reference(s).z
            for i in 0..<5 { worst = max(worst, abs(got[i] - want[i]) / outScale) }
        }
        #expect(worst <= 3, "worst error \(worst) output LSBs")
    }

    @Test func fileStructureAndPlan() throws {
        let m = ConvFC()
        let ranges = [m.x: ValueRange(min: -1, max: 1), m.y: ValueRange(min: 0, max: 2),
                      m.flat: ValueRange(min: 0, max: 2), m.z: ValueRange(min: -3, max: 3)]
        let lowered = try Lowering.lower(m.graph, quantization: try ActivationQuantizer.assign(graph: m.graph, ranges: ranges))
        let runner = try HostModel(bytes: lowered.bytes)
        defer { withExtendedLifetime(runner) {} }
        let model = runner.model
        // Ops: 0 quantize, 1 transpose (NCHW → NHWC), 2 conv, 3 reshape, 4 fc, 5 dequantize.
        #expect((0..<model.operatorCount).map { model.opcode($0) }
                    == [.quantize, .transpose, .conv2D, .reshape, .fullyConnected, .dequantize])
        let input = model.tensor(model.graphInput(0)), output = model.tensor(model.graphOutput(0))
        #expect(input.dtype == .float32 && input.liveFrom == -1 && input.liveTo == 0)
        #expect(input.dims == (1, 2, 4, 4), "the file's input keeps the ONNX layout")
        #expect(output.dtype == .float32 && output.liveFrom == 5 && output.liveTo == 6)
        #expect(Array(model.tensorName(model.graphInput(0))) == Array("x".utf8))
        // The reshape output aliases the conv output, which stays alive until the FC reads it.
        let reshape = model.op(3)
        let alias = model.tensor(model.output(reshape, 0)), base = model.input(reshape, 0)
        #expect(alias.storage == .alias && Int(alias.location) == base)
        #expect(model.tensor(base).liveFrom == 2 && model.tensor(base).liveTo == 4)
        // Conv weights: per-channel over axis 0, and multipliers/shifts with one entry per filter.
        let conv = model.op(2)
        let w = model.tensor(model.input(conv, 1))
        #expect(w.quant == .perChannel && w.quantAxis == 0 && w.dims == (3, 3, 3, 2))
        #expect(model.tensor(model.input(conv, 3)).byteSize == 12)
        // The plan is the planner's answer and the arena is no smaller than its lower bound.
        #expect(model.arenaSize == lowered.plan.arenaSize)
        #expect(lowered.plan.arenaSize >= lowered.plan.lowerBound)
        #expect(MemoryPlanner.overlaps(lowered.planBuffers, offsets: lowered.plan.offsets).isEmpty)
    }

    @Test func missingRangeIsNamed() {
        let m = ConvFC()
        #expect(throws: ConversionError.self) {
            _ = try ActivationQuantizer.assign(graph: m.graph, ranges: [m.x: ValueRange(min: 0, max: 1)])
        }
        do {
            _ = try ActivationQuantizer.assign(graph: m.graph, ranges: [m.x: ValueRange(min: 0, max: 1)])
        } catch {
            #expect(error.description.contains("Node conv (Conv2D)"))
            #expect(error.description.contains("'y'"))
        }
    }
}

/// A graph that touches every other lowering path, checked against the float executor:
/// x [1,6,6,4] → Pad → DepthwiseConv 3x3 (ReLU6) → Add(x) → MaxPool 2x2 → Transpose(0,2,1,3)
/// → HardSwish → Mul(const) → Div(const) → Concat(with x pooled by AveragePool, other scale)
/// → Mean → FC 3 → Softmax.
@Suite struct LoweringCoverageTests {
    static func graph() -> IRGraph {
        var rng = SplitMix64(seed: 99)
        var g = IRGraph()
        func constant(_ name: String, _ shape: [Int], _ lo: Float, _ hi: Float) -> Int {
            g.addValue(IRValue(name: name, shape: shape, constant: rng.floats(shape.reduce(1, *), lo, hi)))
        }
        func value(_ name: String, _ shape: [Int]) -> Int { g.addValue(IRValue(name: name, shape: shape)) }
        let x = value("x", [1, 6, 6, 4])
        let padded = value("padded", [1, 8, 8, 4])
        let dwFilter = constant("dw.weight", [1, 3, 3, 4], -0.6, 0.6), dwBias = constant("dw.bias", [4], -0.1, 0.1)
        let dw = value("dw", [1, 6, 6, 4])
        let sum = value("sum", [1, 6, 6, 4])
        let pooled = value("pooled", [1, 3, 3, 4])
        let swapped = value("swapped", [1, 3, 3, 4])
        let swished = value("swished", [1, 3, 3, 4])
        let gain = constant("gain", [4], 0.5, 1.5), divisor = constant("divisor", [1], 2, 2)
        let scaled = value("scaled", [1, 3, 3, 4]), halved = value("halved", [1, 3, 3, 4])
        let averaged = value("averaged", [1, 3, 3, 4])
        let joined = value("joined", [1, 3, 3, 8])
        let mean = value("mean", [1, 8])
        let fcW = constant("fc.weight", [3, 8], -1, 1), fcB = constant("fc.bias", [3], -0.2, 0.2)
        let logits = value("logits", [1, 3]), probs = value("probs", [1, 3])
        let pool = PoolAttributes(kernel: [2, 2], strides: [2, 2])
        g.nodes = [
            IRNode(name: "pad", op: .pad(before: [0, 1, 1, 0], after: [0, 1, 1, 0], value: 0), inputs: [x], outputs: [padded]),
            IRNode(name: "dw", op: .conv(ConvAttributes(isDepthwise: true, activation: .relu6)),
                   inputs: [padded, dwFilter, dwBias], outputs: [dw]),
            IRNode(name: "add", op: .add(.none), inputs: [x, dw], outputs: [sum]),
            IRNode(name: "maxpool", op: .maxPool(pool), inputs: [sum], outputs: [pooled]),
            IRNode(name: "transpose", op: .transpose(perm: [0, 2, 1, 3]), inputs: [pooled], outputs: [swapped]),
            IRNode(name: "hardswish", op: .unary(.hardSwish), inputs: [swapped], outputs: [swished]),
            IRNode(name: "mul", op: .mul(.none), inputs: [swished, gain], outputs: [scaled]),
            IRNode(name: "div", op: .div(.none), inputs: [scaled, divisor], outputs: [halved]),
            IRNode(name: "avgpool", op: .averagePool(pool), inputs: [x], outputs: [averaged]),
            IRNode(name: "concat", op: .concat(axis: 3), inputs: [halved, averaged], outputs: [joined]),
            IRNode(name: "mean", op: .mean(keepDims: false), inputs: [joined], outputs: [mean]),
            IRNode(name: "fc", op: .fullyConnected(.none), inputs: [mean, fcW, fcB], outputs: [logits]),
            IRNode(name: "softmax", op: .softmax, inputs: [logits], outputs: [probs]),
        ]
        g.inputPorts = [IRGraphPort(value: x, onnxName: "x", onnxShape: [1, 4, 6, 6], onnxToIR: [0, 2, 3, 1])]
        g.outputPorts = [IRGraphPort(value: probs, onnxName: "probs", onnxShape: [1, 3], onnxToIR: [0, 1])]
        return g
    }

    @Test func everyOpAgreesWithTheFloatExecutor() throws {
        let g = Self.graph()
        func id(_ name: String) -> Int { g.values.firstIndex { $0.name == name }! }
        // Without calibration data or QDQ scales there is nothing to choose ranges from.
        #expect(throws: ConversionError.self) { _ = try convert(graph: g, options: ConversionOptions()) }

        // 64 samples in the ONNX layout [N, 4, 6, 6], as a user would give them.
        var rng = SplitMix64(seed: 5)
        let onnxSamples = rng.floats(64 * 144, -2, 2)
        let npy = NPYArray(floats: onnxSamples, shape: [64, 4, 6, 6])
        let result = try convert(graph: g, options: ConversionOptions(calibration: .samples([npy])))
        let q = result.quantization
        #expect(result.summary.calibrationRuns == 64)
        #expect(q[id("padded")] == q[id("x")] && q[id("averaged")] == q[id("x")], "pad and pools keep their input's parameters")
        #expect(q[id("pooled")] == q[id("sum")] && q[id("swapped")] == q[id("sum")])
        #expect(q[id("probs")] == .softmaxOutput)
        #expect(q[id("joined")] != q[id("halved")], "concat inputs differ, so the output has its own range")
        // Two transposes: the graph's own, and NCHW → NHWC after quantizing the ONNX-layout input.
        #expect(result.summary.opCounts == ["Quantize": 1, "Pad": 1, "DepthwiseConv2D": 1, "Add": 1, "MaxPool": 1,
                                            "Transpose": 2, "Lookup": 1, "Mul": 2, "AveragePool": 1, "Concat": 1,
                                            "Mean": 1, "FullyConnected": 1, "Softmax": 1, "Dequantize": 1])

        let runner = try HostModel(bytes: result.bytes)
        defer { withExtendedLifetime(runner) {} }
        let executor = FloatExecutor(graph: g)
        let port = g.inputPorts[0]
        var worst: Float = 0, agree = 0
        for r in 0..<64 {
            let input = port.toIRLayout(Array(onnxSamples[(r * 144)..<((r + 1) * 144)]))
            let got = runner.run([port.toONNXLayout(input)])[0], want = try executor.run(inputs: [input])[0]
            worst = max(worst, zip(got, want).map { abs($0 - $1) }.max()!)
            if got.firstIndex(of: got.max()!) == want.firstIndex(of: want.max()!) { agree += 1 }
        }
        // Thirteen int8 ops in a row: allow a few output steps (1/256 each) of drift.
        #expect(worst <= 6.0 / 256, "max |int8 − float| = \(worst)")
        #expect(agree >= 60, "top-1 agreement \(agree)/64")
    }

    @Test func divisionByAComputedValueIsRejected() throws {
        var g = IRGraph()
        let x = g.addValue(IRValue(name: "x", shape: [1, 4]))
        let y = g.addValue(IRValue(name: "y", shape: [1, 4]))
        g.nodes = [IRNode(name: "ratio", op: .div(.none), inputs: [x, x], outputs: [y])]
        g.inputPorts = [IRGraphPort(value: x, onnxName: "x", onnxShape: [1, 4], onnxToIR: [0, 1])]
        g.outputPorts = [IRGraphPort(value: y, onnxName: "y", onnxShape: [1, 4], onnxToIR: [0, 1])]
        let ranges = [x: ValueRange(min: 1, max: 2), y: ValueRange(min: 0, max: 2)]
        do {
            _ = try Lowering.lower(g, quantization: try ActivationQuantizer.assign(graph: g, ranges: ranges))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.hasPrefix("Node ratio (Div): division by a computed value"))
        }
    }
}
